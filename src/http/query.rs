//! Strict query-string parsing: unknown parameters are refused, not ignored, so a typo such
//! as `bbx=` never silently returns the whole country.

use std::collections::HashMap;

use actix_web::HttpRequest;

use crate::service::{Error, FieldError};

/// The query parameters of a request, checked against the names an endpoint accepts.
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses the query string; refuses names not in `allowed` and repeated names.
    pub fn parse(req: &HttpRequest, allowed: &[&str]) -> Result<Params, Error> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
            .map_err(|e| Error::bad_parameter("query", format!("the query string cannot be read: {e}")))?;
        let mut map = HashMap::new();
        let mut errors = Vec::new();
        for (k, v) in pairs {
            if !allowed.contains(&k.as_str()) {
                errors.push(FieldError::parameter(
                    &k,
                    format!("unknown parameter; this endpoint accepts: {}", allowed.join(", ")),
                ));
            } else if map.insert(k.clone(), v).is_some() {
                errors.push(FieldError::parameter(&k, "given more than once"));
            }
        }
        if errors.is_empty() {
            Ok(Params(map))
        } else {
            Err(Error::BadRequest(errors))
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, Error> {
        self.get(name).ok_or_else(|| Error::bad_parameter(name, "this parameter is required"))
    }

    /// A number parameter, if present.
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, Error> {
        self.get(name)
            .map(|v| {
                v.trim()
                    .parse::<T>()
                    .map_err(|_| Error::bad_parameter(name, format!("'{v}' is not a valid number here")))
            })
            .transpose()
    }

    /// `limit`, defaulting and capped as OGC API – Features expects (out of range → 400).
    pub fn limit(&self, default: i64, max: i64) -> Result<i64, Error> {
        match self.number::<i64>("limit")? {
            None => Ok(default),
            Some(n) if (1..=max).contains(&n) => Ok(n),
            Some(n) => Err(Error::bad_parameter("limit", format!("{n} is outside 1..={max}"))),
        }
    }

    /// `bbox=minLon,minLat,maxLon,maxLat` in WGS 84.
    pub fn bbox(&self) -> Result<Option<[f64; 4]>, Error> {
        let Some(text) = self.get("bbox") else { return Ok(None) };
        parse_bbox(text).map(Some).map_err(|m| Error::bad_parameter("bbox", m))
    }

    /// `f`: we only speak JSON.
    pub fn check_format(&self) -> Result<(), Error> {
        match self.get("f") {
            None | Some("json") | Some("geojson") | Some("application/json") | Some("application/geo+json") => Ok(()),
            Some(other) => Err(Error::bad_parameter("f", format!("format '{other}' is not offered; use f=json"))),
        }
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
    use super::parse_bbox;

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
