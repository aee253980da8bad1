//! BENCHMARKS.md: one file, one section per benchmark, each between its own pair of markers
//! (`<!-- bench:start -->` … `<!-- bench:end -->`). A benchmark replaces its section and
//! leaves the rest of the file as it is.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// The markers around one benchmark's section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Markers {
    pub start: &'static str,
    pub end: &'static str,
}

/// `diachinh-tools bench`'s section.
pub const BENCH: Markers = Markers { start: "<!-- bench:start -->", end: "<!-- bench:end -->" };
/// `diachinh-tools bench-tiles`'s section.
pub const BENCH_TILES: Markers = Markers { start: "<!-- bench-tiles:start -->", end: "<!-- bench-tiles:end -->" };
/// `diachinh-tools bench-check`'s section.
pub const BENCH_CHECK: Markers = Markers { start: "<!-- bench-check:start -->", end: "<!-- bench-check:end -->" };
/// `diachinh-tools bench-peers`'s section: the side-by-side table with the peer servers.
pub const BENCH_PEERS: Markers = Markers { start: "<!-- bench-peers:start -->", end: "<!-- bench-peers:end -->" };

/// `diachinh-tools bench-scale`'s section: the same reads at two register sizes.
pub const BENCH_SCALE: Markers = Markers { start: "<!-- bench-scale:start -->", end: "<!-- bench-scale:end -->" };

/// One median latency a benchmark measured, for the comparison across register sizes.
#[derive(Debug, Clone)]
pub struct Latency {
    /// The benchmark database.
    pub dataset: String,
    /// What was requested, e.g. "parcel by id".
    pub what: String,
    pub p50_ms: f64,
}

/// The head of a BENCHMARKS.md written from scratch.
pub const INTRO: &str = "# Benchmarks

What `make bench` (`diachinh-tools bench`) measures: the two busiest public reads,

- **parcel by id** — `GET /collections/parcels/items/{national_id}`: one statement, `parcel_public` (the parcel, its holders, its latest certificate, its flags);
- **bbox page of 100** — `GET /collections/parcels/items?bbox=…&limit=100` for ~200 m × 200 m boxes: one statement, `parcels_page` (the first page, and the bounded count behind `numberMatched`);

through our release build (server in-process, one pooled connection per client) with `wrk`, and next to
each the same SQL run by `pgbench` straight against PostgreSQL with as many clients for as long:

- **prepared** (`-M prepared`): the limit the database sets when plans are cached. Each transaction draws
  its parameters from the same request list (table `bench_params`, `\\set` + `\\gset`): one extra cheap
  statement per transaction, so this limit is a little low; the lookup's own TPS is listed.
- **unprepared** (`-M extended`, one script per request, parameters as `-D` variables): the same statements
  unnamed, parsed and planned every time (as diesel's `sql_query` would send them; the server prepares them).

*ours / limit* is our requests per second over pgbench's transactions per second.

How to reproduce: `make bench` (1,000,000 synthetic parcels: the first run loads them, later runs reuse
the database), or `make bench BENCH_ARGS=\"--parcels 0 --seconds 5 --repeats 1\"` for the sample data only.

Caveats: wrk, our server, PostgreSQL and pgbench share one machine (here 2 cores, shared with other
work: see the load averages), so the figures are noisy — compare runs on the same machine only, and
look at the individual runs before trusting a difference of 10–20 %. wrk sends no `Accept-Encoding`, so
responses are not compressed; the per-request access log is off during the bench.

Each command rewrites only its own section (between its `<!-- …:start -->` and `<!-- …:end -->`
markers); other sections come from `make bench-tiles` and `make bench-check`.
";

/// Prints a benchmark's section and writes it into its place in `out`.
pub fn publish(who: &str, out: &Path, markers: Markers, section: &str) -> Result<()> {
    println!("\n{section}");
    write_section(out, markers, section)?;
    eprintln!("{who}: results written to {}", out.display());
    Ok(())
}

/// Replaces the section between `markers` in `path` with `section` (creating the file, with
/// [`INTRO`], if needed).
pub fn write_section(path: &Path, markers: Markers, section: &str) -> Result<()> {
    let existing = match fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("while reading {}", path.display())),
    };
    let text = splice_section(existing.as_deref(), markers, section);
    fs::write(path, text).with_context(|| format!("while writing {}", path.display()))
}

/// `existing` (None: no file yet) with the section between `markers` replaced by `section`,
/// or, without such a section, `section` appended after a blank line.
pub fn splice_section(existing: Option<&str>, markers: Markers, section: &str) -> String {
    let block = format!("{}\n{section}{}\n", markers.start, markers.end);
    match existing {
        None => format!("{INTRO}\n{block}"),
        Some(text) => match (text.find(markers.start), text.find(markers.end)) {
            (Some(start), Some(end)) if end > start => {
                let after = &text[end + markers.end.len()..];
                let after = after.strip_prefix('\n').unwrap_or(after);
                format!("{}{block}{after}", &text[..start])
            }
            _ => format!("{}\n\n{block}", text.trim_end()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_starts_with_the_intro() {
        let created = splice_section(None, BENCH, "new\n");
        assert!(created.starts_with("# Benchmarks\n"));
        assert!(created.ends_with("\n\n<!-- bench:start -->\nnew\n<!-- bench:end -->\n"), "{created}");
    }

    #[test]
    fn a_section_is_replaced_in_place() {
        let old = "# Mine\n\nintro\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\n## Notes\nkeep\n";
        assert_eq!(
            splice_section(Some(old), BENCH, "new\n"),
            "# Mine\n\nintro\n\n<!-- bench:start -->\nnew\n<!-- bench:end -->\n\n## Notes\nkeep\n"
        );
    }

    #[test]
    fn other_sections_are_left_alone() {
        let old = "# B\n\n<!-- bench:start -->\nx\n<!-- bench:end -->\n\n<!-- bench-check:start -->\nold\n\
                   <!-- bench-check:end -->\n\n<!-- bench-tiles:start -->\nt\n<!-- bench-tiles:end -->\n";
        assert_eq!(
            splice_section(Some(old), BENCH_CHECK, "new\n"),
            "# B\n\n<!-- bench:start -->\nx\n<!-- bench:end -->\n\n<!-- bench-check:start -->\nnew\n\
             <!-- bench-check:end -->\n\n<!-- bench-tiles:start -->\nt\n<!-- bench-tiles:end -->\n"
        );
        // `bench` is a prefix of `bench-tiles`, not a match of it.
        let tiles_only = "# B\n\n<!-- bench-tiles:start -->\nt\n<!-- bench-tiles:end -->\n";
        assert_eq!(
            splice_section(Some(tiles_only), BENCH, "new\n"),
            format!("{tiles_only}\n<!-- bench:start -->\nnew\n<!-- bench:end -->\n")
        );
    }

    #[test]
    fn a_missing_section_is_appended() {
        assert_eq!(
            splice_section(Some("# Mine\n\n\n"), BENCH_TILES, "new\n"),
            "# Mine\n\n<!-- bench-tiles:start -->\nnew\n<!-- bench-tiles:end -->\n"
        );
        // An end marker before the start marker is no section.
        let reversed = "<!-- bench:end -->\n<!-- bench:start -->\n";
        assert!(
            splice_section(Some(reversed), BENCH, "n\n").ends_with("\n\n<!-- bench:start -->\nn\n<!-- bench:end -->\n")
        );
    }

    #[test]
    fn writes_the_file() {
        let dir = std::env::temp_dir().join(format!("diachinh-harness-report-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("BENCHMARKS.md");
        write_section(&path, BENCH_TILES, "one\n").unwrap();
        write_section(&path, BENCH_TILES, "two\n").unwrap();
        let text = fs::read_to_string(&path).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert!(text.starts_with(INTRO));
        assert!(text.ends_with("<!-- bench-tiles:start -->\ntwo\n<!-- bench-tiles:end -->\n"));
        assert!(!text.contains("\none\n"));
    }
}
