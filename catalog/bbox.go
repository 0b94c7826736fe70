package catalog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// box is a WGS 84 bounding box; minX > maxX crosses the antimeridian (STAC convention).
type box struct{ minX, minY, maxX, maxY float64 }

// parseBox parses "minx,miny,maxx,maxy". Coordinates are parsed only at query time; records
// keep them as strings.
func parseBox(s string) (box, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return box{}, fmt.Errorf("need 4 comma-separated numbers, got %d", len(parts))
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return box{}, fmt.Errorf("%q is not a finite number", p)
		}
		v[i] = f
	}
	b := box{v[0], v[1], v[2], v[3]}
	if b.minX < -180 || b.maxX > 180 || b.minX > 180 || b.maxX < -180 || b.minY < -90 || b.maxY > 90 || b.minY > b.maxY {
		return box{}, fmt.Errorf("out of range: longitudes in [-180,180], latitudes in [-90,90], miny ≤ maxy")
	}
	return b, nil
}

// spans splits a box crossing the antimeridian into its two longitude intervals.
func (b box) spans() [][2]float64 {
	if b.minX <= b.maxX {
		return [][2]float64{{b.minX, b.maxX}}
	}
	return [][2]float64{{b.minX, 180}, {-180, b.maxX}}
}

// intersects reports whether the boxes share a point (edges included).
func (b box) intersects(o box) bool {
	if b.maxY < o.minY || o.maxY < b.minY {
		return false
	}
	for _, x := range b.spans() {
		for _, y := range o.spans() {
			if x[0] <= y[1] && y[0] <= x[1] {
				return true
			}
		}
	}
	return false
}
