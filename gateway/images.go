package gateway

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/gin-gonic/gin"
)

// Generated default avatars and banners: PNG (the app's image loader does not
// read SVG), derived from the file name so each user keeps theirs.

func seed(c *gin.Context) (uint32, bool) {
	f := c.Param("file")
	if !strings.HasSuffix(f, ".png") || len(f) > 40 {
		c.Status(404)
		return 0, false
	}
	h := fnv.New32a()
	h.Write([]byte(f))
	return h.Sum32(), true
}

func hue(s uint32, light float64) color.RGBA {
	// A cheap HSL-ish palette: three channels from the seed, lifted towards light.
	r := float64(s&0xff)/255*(1-light) + light
	g := float64(s>>8&0xff)/255*(1-light) + light
	b := float64(s>>16&0xff)/255*(1-light) + light
	return color.RGBA{uint8(r * 255), uint8(g * 255), uint8(b * 255), 255}
}

func sendPNG(c *gin.Context, img image.Image) {
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(200, "image/png", buf.Bytes())
}

// avatar draws a 5x5 mirrored identicon.
func avatar(c *gin.Context) {
	s, ok := seed(c)
	if !ok {
		return
	}
	const cell, n = 24, 5
	img := image.NewRGBA(image.Rect(0, 0, cell*(n+1), cell*(n+1)))
	bg, fg := color.RGBA{240, 240, 240, 255}, hue(s, 0.1)
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			img.SetRGBA(x, y, bg)
		}
	}
	for row := 0; row < n; row++ {
		for col := 0; col < 3; col++ {
			if s>>(uint(row*3+col)%32)&1 == 0 {
				continue
			}
			for _, cc := range []int{col, n - 1 - col} {
				for y := 0; y < cell; y++ {
					for x := 0; x < cell; x++ {
						img.SetRGBA(cell/2+cc*cell+x, cell/2+row*cell+y, fg)
					}
				}
			}
		}
	}
	sendPNG(c, img)
}

// background draws a diagonal two-colour gradient banner.
func background(c *gin.Context) {
	s, ok := seed(c)
	if !ok {
		return
	}
	const w, h = 720, 300
	a, b := hue(s, 0.3), hue(s*2654435761, 0.3)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := float64(x+y) / float64(w+h)
			img.SetRGBA(x, y, color.RGBA{
				uint8(float64(a.R)*(1-t) + float64(b.R)*t), uint8(float64(a.G)*(1-t) + float64(b.G)*t),
				uint8(float64(a.B)*(1-t) + float64(b.B)*t), 255})
		}
	}
	sendPNG(c, img)
}
