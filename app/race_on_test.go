//go:build race

package app

// raceOn: Kitex's multiplexed transport trips the race detector (benign
// stores in its connection slots, see docs/OPERATIONS.md), so the tests keep
// it out of -race runs.
const raceOn = true
