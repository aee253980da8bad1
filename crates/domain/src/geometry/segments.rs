//! An R-tree over the segments of one or more rings, so the geometric rules ask "which
//! segments are near this point / this segment" in O(log n) instead of scanning every segment:
//! with [`super::MAX_VERTICES_PER_GEOMETRY`] vertices a scan per vertex is 10⁸ operations.

use geo_types::{Coord, Line, LineString, MultiPolygon};
use rstar::primitives::CachedEnvelope;
use rstar::{PointDistance, RTree, RTreeObject, AABB};

/// One segment and its position in the order the segments were given.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub line: Line<f64>,
    pub index: usize,
}

impl RTreeObject for Segment {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners([self.line.start.x, self.line.start.y], [self.line.end.x, self.line.end.y])
    }
}

impl PointDistance for Segment {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        super::segment_distance_sq(Coord { x: p[0], y: p[1] }, self.line.start, self.line.end)
    }
}

/// The bounding box of a segment, as the tree's envelope type.
pub(crate) fn envelope(line: &Line<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([line.start.x, line.start.y], [line.end.x, line.end.y])
}

/// Up to this many segments, distances and the crossing test scan them all: a scan of a
/// typical lot's few segments costs less than a walk of the tree (which allocates per query),
/// and gives the same numbers. The interior point of a rectangle asks thousands of times.
const SCAN_AT_MOST: usize = 32;

/// Segments, indexed.
pub(crate) struct SegmentIndex {
    tree: RTree<CachedEnvelope<Segment>>,
    /// All the segments, when there are few enough to scan ([`SCAN_AT_MOST`]).
    few: Option<Vec<Segment>>,
}

impl SegmentIndex {
    /// Indexes `lines`; each keeps its position in this sequence as [`Segment::index`].
    pub fn new(lines: impl IntoIterator<Item = Line<f64>>) -> Self {
        let segments: Vec<CachedEnvelope<Segment>> =
            lines.into_iter().enumerate().map(|(index, line)| CachedEnvelope::new(Segment { line, index })).collect();
        let few = (segments.len() <= SCAN_AT_MOST).then(|| segments.iter().map(|s| **s).collect());
        SegmentIndex { tree: RTree::bulk_load(segments), few }
    }

    /// The segments of every ring, in ring order.
    pub fn of_rings<'a>(rings: impl IntoIterator<Item = &'a LineString<f64>>) -> Self {
        Self::new(rings.into_iter().flat_map(|r| r.lines()))
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// The segment nearest to `p` (by squared distance), if there is any segment.
    pub fn nearest(&self, p: Coord<f64>) -> Option<&Segment> {
        if let Some(few) = &self.few {
            let d = |s: &&Segment| s.distance_2(&[p.x, p.y]);
            return few.iter().min_by(|a, b| d(a).total_cmp(&d(b)));
        }
        self.tree.nearest_neighbor(&[p.x, p.y]).map(|s| &**s)
    }

    /// The squared distance from `p` to the nearest segment (infinite when there is none).
    pub fn distance_sq(&self, p: Coord<f64>) -> f64 {
        if let Some(few) = &self.few {
            return few.iter().map(|s| s.distance_2(&[p.x, p.y])).fold(f64::INFINITY, f64::min);
        }
        self.nearest(p).map_or(f64::INFINITY, |s| s.distance_2(&[p.x, p.y]))
    }

    /// Every segment whose bounding box meets `envelope` (a superset of the segments that
    /// touch anything inside it), in no particular order.
    pub fn near(&self, envelope: &AABB<[f64; 2]>) -> impl Iterator<Item = &Segment> {
        self.tree.locate_in_envelope_intersecting(envelope).map(|s| &**s)
    }

    /// Whether the ray going east from `p` crosses an odd number of segments (the even-odd
    /// rule: `p` is inside the rings). Only segments whose boxes meet the ray, widened a little
    /// against rounding, are tested, with the test a scan of every segment would make.
    pub fn odd_crossings_east(&self, p: Coord<f64>) -> bool {
        let east = self.bounds().upper()[0];
        let margin = 1e-9 * p.x.abs().max(1.0);
        let ray = AABB::from_corners([p.x - margin, p.y], [east.max(p.x) + margin, p.y]);
        // A segment whose box misses the ray fails the test anyway, so scanning them all counts
        // the same crossings as asking the tree.
        let crosses = |segment: &Segment| {
            let (a, b) = (segment.line.start, segment.line.end);
            (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x
        };
        let crossings = match &self.few {
            Some(few) => few.iter().filter(|s| crosses(s)).count(),
            None => self.near(&ray).filter(|s| crosses(s)).count(),
        };
        crossings % 2 == 1
    }

    /// The bounding box of all segments.
    pub fn bounds(&self) -> AABB<[f64; 2]> {
        self.tree.root().envelope()
    }
}

/// A polygonal geometry prepared for distance and containment queries: an index over all its
/// segments, and one over each part's rings.
pub(crate) struct IndexedPolygonal {
    vertices: Vec<Coord<f64>>,
    all: SegmentIndex,
    parts: Vec<SegmentIndex>,
    firsts: Vec<Coord<f64>>,
}

impl IndexedPolygonal {
    pub fn new(mp: &MultiPolygon<f64>) -> Self {
        fn rings(p: &geo_types::Polygon<f64>) -> Vec<&LineString<f64>> {
            std::iter::once(p.exterior()).chain(p.interiors()).collect()
        }
        IndexedPolygonal {
            vertices: mp.0.iter().flat_map(rings).flat_map(|r| r.0.iter().copied()).collect(),
            all: SegmentIndex::of_rings(mp.0.iter().flat_map(rings)),
            parts: mp.0.iter().map(|p| SegmentIndex::of_rings(rings(p))).collect(),
            firsts: mp.0.iter().filter_map(|p| p.exterior().0.first().copied()).collect(),
        }
    }

    /// Whether `c` is inside or on a part.
    fn covers(&self, c: Coord<f64>) -> bool {
        self.parts.iter().any(|part| !part.is_empty() && (part.distance_sq(c) == 0.0 || part.odd_crossings_east(c)))
    }

    /// Whether boundaries cross or touch, or a part of one has a vertex inside a part of the
    /// other.
    fn meets(&self, other: &IndexedPolygonal) -> bool {
        let crossing = self
            .all
            .tree
            .iter()
            .any(|s| other.all.near(&envelope(&s.line)).any(|o| geo::Intersects::intersects(&s.line, &o.line)));
        crossing || self.firsts.iter().any(|c| other.covers(*c)) || other.firsts.iter().any(|c| self.covers(*c))
    }

    /// The smallest squared distance from a vertex of one to a segment of the other, exact
    /// when it is at most `reach`² (beyond, it may be larger than the true value or infinite):
    /// all of the smaller one's vertices are asked, and of the larger one's only those within
    /// `reach` of the smaller one's box (a closed ring's vertices are its segments' ends).
    fn vertex_distance_sq(&self, other: &IndexedPolygonal, reach: f64) -> f64 {
        let (small, large) = if self.vertices.len() <= other.vertices.len() { (self, other) } else { (other, self) };
        let first = small.vertices.iter().map(|c| large.all.distance_sq(*c)).fold(f64::INFINITY, f64::min);
        let reach = reach.min(first.sqrt()) * (1.0 + 1e-9) + 1e-9;
        let [x0, y0] = small.all.bounds().lower();
        let [x1, y1] = small.all.bounds().upper();
        let window = AABB::from_corners([x0 - reach, y0 - reach], [x1 + reach, y1 + reach]);
        let second = large
            .all
            .near(&window)
            .flat_map(|s| [s.line.start, s.line.end])
            .map(|c| small.all.distance_sq(c))
            .fold(f64::INFINITY, f64::min);
        first.min(second)
    }

    /// The distance between the two geometries, 0 when they [meet](Self::meets); otherwise
    /// the smallest distance from a vertex of one to a segment of the other.
    pub fn distance(&self, other: &IndexedPolygonal) -> f64 {
        if self.all.is_empty() || other.all.is_empty() || self.meets(other) {
            return 0.0;
        }
        self.vertex_distance_sq(other, f64::INFINITY).sqrt()
    }

    /// Whether [`distance`](Self::distance) is at most `limit`, looking only near `limit`.
    pub fn within(&self, other: &IndexedPolygonal, limit: f64) -> bool {
        if self.all.is_empty() || other.all.is_empty() || self.meets(other) {
            return true;
        }
        self.vertex_distance_sq(other, limit).sqrt() <= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan of a few segments answers exactly as the tree does, on a ring with a notch,
    /// at points inside, outside, on vertices and on the rays through them.
    #[test]
    fn scanning_a_few_segments_answers_as_the_tree() {
        let ring = LineString::from(vec![
            (0.0, 0.0),
            (20.0, 0.0),
            (20.0, 10.0),
            (12.0, 10.0),
            (10.0, 4.0),
            (8.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ]);
        let scanned = SegmentIndex::of_rings([&ring]);
        assert!(scanned.few.is_some());
        let mut tree = SegmentIndex::of_rings([&ring]);
        tree.few = None;
        let mut points = 0;
        for i in -4..=96 {
            for j in -4..=56 {
                let p = Coord { x: f64::from(i) * 0.25, y: f64::from(j) * 0.2 };
                assert_eq!(scanned.distance_sq(p).to_bits(), tree.distance_sq(p).to_bits(), "{p:?}");
                assert_eq!(scanned.odd_crossings_east(p), tree.odd_crossings_east(p), "{p:?}");
                points += 1;
            }
        }
        assert_eq!(points, 101 * 61);
    }
}
