// Command kubeplay turns the chart's rendered manifests (helm template) into
// what `podman kube play` (4.3) runs, for the local run of scripts/kube.sh:
//
//   - Deployments and ConfigMaps pass through unchanged (the pod templates,
//     images, commands, env, probes, security contexts and volumes are the
//     chart's own);
//   - a StatefulSet becomes a Deployment of the same pod template, its
//     volumeClaimTemplates PersistentVolumeClaims (podman volumes) named as
//     Kubernetes names the first replica's claims (<claim>-<set>-0);
//   - a Secret becomes a file for `podman secret create` (a JSON map of key
//     to base64 value), which kube play's secretKeyRef reads;
//   - what podman does not run (Services, NetworkPolicies, PDBs, HPAs,
//     ServiceAccounts, Ingresses) is left out and listed on stderr: the chart
//     test (test/chart) decodes and checks those;
//   - env taken from status.podIP is dropped, as podman cannot fill it: a
//     role bound to 0.0.0.0 then advertises the pod's only non-loopback
//     address itself (rpc.AdvertiseAddr), the same address;
//   - container ports without a hostPort are dropped: podman 4.3 publishes
//     every containerPort on the host's every interface (Kubernetes only
//     documents them), which would put MariaDB on 0.0.0.0:3306 and collide
//     between replicas; pods reach each other on the network all the same.
//     Probes naming a port get its number.
//
// Usage: helm template ... | kubeplay -out DIR   (writes DIR/play.yaml and
// DIR/secrets/<name>.json)
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

type obj = map[string]any

func main() {
	out := flag.String("out", "", "output folder")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: helm template ... | kubeplay -out DIR")
		os.Exit(2)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	play, secrets, dropped, err := convert(in)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(filepath.Join(*out, "secrets"), 0o700); err != nil {
		fail(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "play.yaml"), play, 0o600); err != nil {
		fail(err)
	}
	for name, data := range secrets {
		if err := os.WriteFile(filepath.Join(*out, "secrets", name+".json"), data, 0o600); err != nil {
			fail(err)
		}
	}
	if len(dropped) > 0 {
		fmt.Fprintf(os.Stderr, "kubeplay: not run by podman (checked by test/chart): %s\n", strings.Join(dropped, ", "))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kubeplay:", err)
	os.Exit(1)
}

// convert does the work of main on the rendered documents.
func convert(in []byte) (play []byte, secrets map[string][]byte, dropped []string, err error) {
	secrets = map[string][]byte{}
	var docs []obj
	for _, raw := range splitDocs(in) {
		var o obj
		if err := yaml.Unmarshal(raw, &o); err != nil {
			return nil, nil, nil, err
		}
		if len(o) == 0 {
			continue
		}
		kind, _ := o["kind"].(string)
		name := str(o, "metadata", "name")
		switch kind {
		case "ConfigMap", "PersistentVolumeClaim":
			docs = append(docs, o)
		case "Deployment":
			dropPodIP(o)
			unpublish(o)
			docs = append(docs, o)
		case "StatefulSet":
			d, claims := statefulToDeployment(o)
			dropPodIP(d)
			unpublish(d)
			d["x-dependency"] = true // started first (sorted below, then removed)
			docs = append(docs, claims...)
			docs = append(docs, d)
		case "Secret":
			s, err := secretFile(o)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("secret %s: %w", name, err)
			}
			secrets[name] = s
		default:
			dropped = append(dropped, kind+"/"+name)
		}
	}
	// ConfigMaps and claims before the pods that mount them, the
	// dependencies before the roles that connect to them.
	rank := func(d obj) int {
		if _, dep := d["x-dependency"]; dep {
			return 2
		}
		return map[string]int{"ConfigMap": 0, "PersistentVolumeClaim": 1, "Deployment": 3}[d["kind"].(string)]
	}
	sort.SliceStable(docs, func(i, j int) bool { return rank(docs[i]) < rank(docs[j]) })
	var b bytes.Buffer
	for _, d := range docs {
		delete(d, "x-dependency")
		y, err := yaml.Marshal(d)
		if err != nil {
			return nil, nil, nil, err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes(), secrets, dropped, nil
}

func splitDocs(in []byte) [][]byte {
	var docs [][]byte
	for _, part := range bytes.Split(append([]byte("\n"), in...), []byte("\n---")) {
		if len(bytes.TrimSpace(part)) > 0 {
			docs = append(docs, part)
		}
	}
	return docs
}

func str(o obj, path ...string) string {
	var cur any = o
	for _, p := range path {
		m, ok := cur.(obj)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

// statefulToDeployment keeps the set's pod template and replicas; each
// volume claim template becomes a claim of the name Kubernetes gives replica
// 0's, mounted under the template's name.
func statefulToDeployment(o obj) (obj, []obj) {
	spec, _ := o["spec"].(obj)
	meta, _ := o["metadata"].(obj)
	name, _ := meta["name"].(string)
	tpl, _ := spec["template"].(obj)
	podSpec, _ := tpl["spec"].(obj)
	var claims []obj
	vols, _ := podSpec["volumes"].([]any)
	for _, c := range asList(spec["volumeClaimTemplates"]) {
		cm, _ := c.(obj)
		cmeta, _ := cm["metadata"].(obj)
		cname, _ := cmeta["name"].(string)
		claim := cname + "-" + name + "-0"
		claims = append(claims, obj{
			"apiVersion": "v1", "kind": "PersistentVolumeClaim",
			"metadata": obj{"name": claim, "labels": meta["labels"]},
			"spec":     cm["spec"],
		})
		vols = append(vols, obj{"name": cname, "persistentVolumeClaim": obj{"claimName": claim}})
	}
	if len(vols) > 0 {
		podSpec["volumes"] = vols
	}
	dspec := obj{"selector": spec["selector"], "template": tpl}
	if r, ok := spec["replicas"]; ok {
		dspec["replicas"] = r
	}
	return obj{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": dspec}, claims
}

func asList(v any) []any { l, _ := v.([]any); return l }

// dropPodIP removes env filled from status.podIP (see the package comment).
func dropPodIP(o obj) {
	spec, _ := o["spec"].(obj)
	tpl, _ := spec["template"].(obj)
	podSpec, _ := tpl["spec"].(obj)
	for _, key := range []string{"containers", "initContainers"} {
		for _, c := range asList(podSpec[key]) {
			cm, _ := c.(obj)
			var keep []any
			for _, e := range asList(cm["env"]) {
				em, _ := e.(obj)
				if vf, ok := em["valueFrom"].(obj); ok {
					if fr, ok := vf["fieldRef"].(obj); ok && fr["fieldPath"] == "status.podIP" {
						continue
					}
				}
				keep = append(keep, e)
			}
			if cm["env"] != nil {
				cm["env"] = keep
			}
		}
	}
}

// unpublish keeps only the ports with a hostPort (see the package comment),
// after giving the probes that name a port its number.
func unpublish(o obj) {
	spec, _ := o["spec"].(obj)
	tpl, _ := spec["template"].(obj)
	podSpec, _ := tpl["spec"].(obj)
	for _, c := range asList(podSpec["containers"]) {
		cm, _ := c.(obj)
		named := map[string]any{}
		var keep []any
		for _, p := range asList(cm["ports"]) {
			pm, _ := p.(obj)
			if n, ok := pm["name"].(string); ok {
				named[n] = pm["containerPort"]
			}
			if _, ok := pm["hostPort"]; ok {
				keep = append(keep, p)
			}
		}
		for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
			pr, _ := cm[probe].(obj)
			for _, h := range []string{"httpGet", "tcpSocket"} {
				if hm, ok := pr[h].(obj); ok {
					if n, ok := hm["port"].(string); ok && named[n] != nil {
						hm["port"] = named[n]
					}
				}
			}
		}
		if keep == nil {
			delete(cm, "ports")
		} else {
			cm["ports"] = keep
		}
	}
}

// secretFile is the Secret as `podman secret create` takes it for kube play:
// a JSON map of key to base64 value.
func secretFile(o obj) ([]byte, error) {
	m := map[string]string{}
	if data, ok := o["data"].(obj); ok {
		for k, v := range data {
			s, _ := v.(string)
			m[k] = s
		}
	}
	if sd, ok := o["stringData"].(obj); ok {
		for k, v := range sd {
			s, _ := v.(string)
			m[k] = base64.StdEncoding.EncodeToString([]byte(s))
		}
	}
	return json.Marshal(m)
}
