//! Strict query-string parsing: unknown parameters are refused, not ignored, so a typo such
//! as `bbx=` never silently returns the whole country.

use std::collections::HashSet;
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;

use super::Problem;
use crate::service::{Error, FieldError};

/// A typed query string. `T` is a `#[serde(deny_unknown_fields)]` struct that derives
/// `IntoParams`, so the accepted parameters are written once, for the parser and the OpenAPI
/// document. Unlike `web::Query`, every refusal (unknown, repeated, missing or unreadable
/// parameter) is a 400 problem that names the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse::<T>(req.query_string()).map(Query).map_err(Problem))
    }
}

/// For endpoints without query parameters: any parameter is refused.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// `f`, the only parameter of the OGC API metadata documents.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FormatParams {
    /// Response format: json (the only one offered).
    #[param(pattern = "^(json|geojson|application/json|application/geo\\+json)$")]
    pub f: Option<String>,
}

impl FormatParams {
    pub fn check(&self) -> Result<(), Error> {
        check_format(self.f.as_deref())
    }
}

/// `f`: we only speak JSON.
pub fn check_format(f: Option<&str>) -> Result<(), Error> {
    match f {
        None | Some("json") | Some("geojson") | Some("application/json") | Some("application/geo+json") => Ok(()),
        Some(other) => Err(Error::bad_parameter("f", format!("format '{other}' is not offered; use f=json"))),
    }
}

/// Reads `T` from a query string; each refusal names its parameter.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| Error::bad_parameter("query", format!("the query string cannot be read: {e}")))?;
    let mut seen = HashSet::new();
    let repeated: Vec<FieldError> = pairs
        .iter()
        .filter(|(k, _)| !seen.insert(k.as_str()))
        .map(|(k, _)| FieldError::parameter(k, "given more than once"))
        .collect();
    if !repeated.is_empty() {
        return Err(Error::BadRequest(repeated));
    }
    serde_urlencoded::from_str::<T>(query).map_err(|e| Error::BadRequest(vec![locate::<T>(&e.to_string(), &pairs)]))
}

/// Names the parameter behind a deserialisation error. serde reports a value or name error
/// while it walks the pairs and a missing field only at the end, so the first prefix of the
/// pairs that fails with anything but "missing field" ends with the culprit.
fn locate<T: DeserializeOwned>(message: &str, pairs: &[(String, String)]) -> FieldError {
    if let Some(name) = quoted_after(message, "missing field `") {
        return FieldError::parameter(name, "this parameter is required");
    }
    for i in 0..pairs.len() {
        let prefix = serde_urlencoded::to_string(&pairs[..=i]).unwrap_or_default();
        let Err(e) = serde_urlencoded::from_str::<T>(&prefix) else { continue };
        let text = e.to_string();
        if text.starts_with("missing field") {
            continue;
        }
        let (name, value) = &pairs[i];
        if text.starts_with("unknown field") {
            let accepted = text.split_once(", ").map_or("", |(_, rest)| rest).replace('`', "");
            let accepted = if accepted.contains("no fields") {
                "this endpoint takes no parameters".to_string()
            } else {
                accepted
                    .replace("expected one of ", "this endpoint accepts: ")
                    .replace("expected ", "this endpoint accepts: ")
            };
            return FieldError::parameter(name, format!("unknown parameter; {accepted}"));
        }
        return FieldError::parameter(name, format!("'{value}' is not valid here: {text}"));
    }
    FieldError::parameter("query", format!("the query string cannot be read: {message}"))
}

fn quoted_after<'a>(message: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &message[message.find(marker)? + marker.len()..];
    rest.split('`').next()
}

/// A path's `{id}` segment as a row id: a positive integer, else 400 naming `id` ("a dossier id is a
/// positive integer", with `what` = "a dossier").
pub fn path_id(text: &str, what: &str) -> Result<i64, Problem> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem(Error::bad_parameter("id", format!("{what} id is a positive integer"))))
}

/// `limit`, defaulting and capped as OGC API – Features expects (out of range → 400).
pub fn limit(value: Option<i64>, default: i64, max: i64) -> Result<i64, Error> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(Error::bad_parameter("limit", format!("{n} is outside 1..={max}"))),
    }
}

/// Parses and checks a WGS 84 bounding box (4 numbers; 6 with heights are refused).
pub fn parse_bbox(text: &str) -> Result<[f64; 4], String> {
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != 4 {
        return Err(format!("expected 4 comma-separated numbers (minLon,minLat,maxLon,maxLat), got {}", parts.len()));
    }
    let mut v = [0.0; 4];
    for (i, p) in parts.iter().enumerate() {
        v[i] =
            p.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| format!("'{p}' is not a number"))?;
    }
    let [x0, y0, x1, y1] = v;
    if !(-180.0..=180.0).contains(&x0) || !(-180.0..=180.0).contains(&x1) {
        return Err("longitudes must lie in [-180, 180]".into());
    }
    if !(-90.0..=90.0).contains(&y0) || !(-90.0..=90.0).contains(&y1) {
        return Err("latitudes must lie in [-90, 90]".into());
    }
    if y0 > y1 {
        return Err("the minimum latitude is above the maximum".into());
    }
    if x0 > x1 {
        return Err("boxes crossing the antimeridian are not supported (minLon > maxLon)".into());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        commune: String,
        sheet: i32,
        limit: Option<i64>,
    }

    fn refused(query: &str) -> (String, String) {
        match parse::<Q>(query) {
            Err(Error::BadRequest(errors)) => {
                let v = serde_json::to_value(&errors[0]).unwrap();
                (v["parameter"].as_str().unwrap_or_default().to_string(), errors[0].message.clone())
            }
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn refusals_name_the_parameter() {
        assert_eq!(parse::<Q>("commune=31507&sheet=1").unwrap().sheet, 1);
        assert_eq!(refused("commune=31507").0, "sheet");
        assert_eq!(refused("commune=31507&sheet=x").0, "sheet");
        assert_eq!(refused("limit=ten&commune=31507&sheet=1").0, "limit");
        assert_eq!(refused("commune=31507&sheet=1&sheet=2"), ("sheet".into(), "given more than once".into()));
        let (name, message) = refused("commune=31507&sheet=1&colour=red");
        assert_eq!(name, "colour");
        assert!(message.contains("commune, sheet, limit"), "{message}");
        assert_eq!(refused("x=1&commune=1&sheet=1").0, "x");
        assert!(matches!(parse::<NoParams>("x=1"), Err(Error::BadRequest(_))));
        assert!(parse::<NoParams>("").is_ok());
    }

    #[test]
    fn bbox_table() {
        assert_eq!(parse_bbox("105,9,106,10"), Ok([105.0, 9.0, 106.0, 10.0]));
        assert_eq!(parse_bbox(" 105 , 9 , 106 , 10 "), Ok([105.0, 9.0, 106.0, 10.0]));
        for bad in [
            "105,9,106",
            "105,9,106,10,0,1",
            "a,9,106,10",
            "105,91,106,92",
            "181,9,182,10",
            "106,9,105,10",
            "105,10,106,9",
            "NaN,9,106,10",
            "inf,9,106,10",
        ] {
            assert!(parse_bbox(bad).is_err(), "{bad}");
        }
    }
}
