//! What a check run returns: each rule's [`Outcome`] and [`RuleResult`], and the [`Report`].

use geo_types::Geometry;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::round4;

/// Kết quả — a rule's verdict, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
}

/// What one rule found, shaped for the officer's screen and the map.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// Rule id: "R1" … "R6", "R7.1" … "R7.4", "S1".
    pub rule: &'static str,
    /// Stable machine name, e.g. "geometry_valid".
    pub name: &'static str,
    pub outcome: Outcome,
    /// The measured quantity the outcome turned on, rounded to 4 decimals.
    pub measured: Option<f64>,
    /// The limit it was compared with.
    pub threshold: Option<f64>,
    /// "m2", "m", "deg", "ratio".
    pub unit: Option<&'static str>,
    /// Where the threshold comes from: a data row (with its legal source) or a parameter.
    pub threshold_source: Option<String>,
    /// One or two short sentences an officer can act on.
    pub message: String,
    /// The problem geometry (overlaps, the self-intersection point…) in the input plane.
    pub geometry: Option<geojson::Geometry>,
    /// Rule-specific facts, e.g. per-neighbour overlaps. Never coordinates: those go in
    /// `geometry`, which the service transforms.
    pub details: Value,
}

impl RuleResult {
    pub(super) fn new(rule: &'static str, name: &'static str, outcome: Outcome, message: impl Into<String>) -> Self {
        RuleResult {
            rule,
            name,
            outcome,
            measured: None,
            threshold: None,
            unit: None,
            threshold_source: None,
            message: message.into(),
            geometry: None,
            details: json!({}),
        }
    }

    pub(super) fn measure(mut self, measured: f64, threshold: Option<f64>, unit: &'static str) -> Self {
        self.measured = Some(round4(measured));
        self.threshold = threshold.map(round4);
        self.unit = Some(unit);
        self
    }

    pub(super) fn source(mut self, source: impl Into<String>) -> Self {
        self.threshold_source = Some(source.into());
        self
    }

    /// Names where the threshold came from, if the rule used one.
    pub(super) fn cite(self, source: String) -> Self {
        if self.threshold.is_some() {
            self.source(source)
        } else {
            self
        }
    }

    pub(super) fn geometry(mut self, geometry: Option<Geometry<f64>>) -> Self {
        self.geometry = geometry.map(|g| geojson::Geometry::new(geojson::GeometryValue::from(&g)));
        self
    }

    pub(super) fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// All results of one check run, in rule order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub results: Vec<RuleResult>,
}

impl Report {
    /// The worst outcome: the request may be signed only when this is not `Fail`.
    pub fn outcome(&self) -> Outcome {
        self.results.iter().map(|r| r.outcome).max().unwrap_or(Outcome::Pass)
    }

    /// The result of one rule, by id.
    pub fn get(&self, rule: &str) -> Option<&RuleResult> {
        self.results.iter().find(|r| r.rule == rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::inside_commune;
    use crate::checks::testing::rect;

    #[test]
    fn outcome_serialises_lowercase_and_orders_by_severity() {
        assert_eq!(serde_json::to_value(Outcome::Warn).unwrap(), json!("warn"));
        assert!(Outcome::Pass < Outcome::Warn && Outcome::Warn < Outcome::Fail);
        let r = inside_commune(&rect(0., 0., 10., 20.), None, 1.0);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["rule"], "R2");
        assert_eq!(v["outcome"], "warn");
    }
}
