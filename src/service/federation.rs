//! Province federation (docs/FEDERATION.md): making a database a province's node or the
//! national copy, publishing a province's register, subscribing the national node to it.
//!
//! The guarantees are the database's (migration 000020): a province node's triggers refuse rows
//! of another province, its keys come from the province's own id range, and a national node
//! refuses every local write (triggers, and no write grant for the service). These use cases
//! run as the owner, from `diachinh federation …` and from `serve` at start-up.

use std::path::Path;

use anyhow::{bail, Context};
use diesel::{Connection, PgConnection};

pub use store::federation::{Node, Scope, Status};

/// Makes the database the node `wanted` describes, or checks that it already is one. A
/// standalone configuration over a federated database is refused (the server would behave as
/// something the database is not), as is a different scope (a node never changes what it is).
/// Idempotent: the same scope again re-installs the guards for tables added since.
pub fn ensure(conn: &mut PgConnection, wanted: &Scope) -> anyhow::Result<Node> {
    let node = store::federation::node(conn).context("while reading the database's federation scope")?;
    match (&node.scope, wanted) {
        (Scope::Standalone, Scope::Standalone) => Ok(node),
        (current, wanted) if current == wanted || *current == Scope::Standalone => {
            store::federation::apply_scope(conn, wanted)
                .map_err(|e| anyhow::anyhow!("while making this database the {wanted} node: {e}"))
        }
        (current, wanted) => bail!(
            "this database is the {current} node of the federation, but this server is configured as {wanted} \
             ([federation] mode/province, DIACHINH_FEDERATION_MODE); a node never changes what it is"
        ),
    }
}

/// `diachinh federation init`: the reference data every node holds identically (loaded from
/// `seed_dir`, as `diachinh seed` does, without the sample register), then the scope.
pub fn init(conn: &mut PgConnection, wanted: &Scope, seed_dir: &Path) -> anyhow::Result<Node> {
    if *wanted == Scope::Standalone {
        bail!("[federation] mode is standalone: nothing to initialise (set mode = \"province\" or \"national\")");
    }
    super::seed::load_reference(conn, seed_dir)?;
    ensure(conn, wanted)
}

/// `diachinh federation publish`: the province's publication, and the login (`login`, with
/// `password`) the national node subscribes as. Returns the published tables.
pub fn publish(conn: &mut PgConnection, login: &str, password: &str) -> anyhow::Result<Vec<String>> {
    store::federation::publish(conn, Some(login), Some(password))
        .map_err(|e| anyhow::anyhow!("while publishing the province's register: {e}"))
}

/// `diachinh federation subscribe`: the national node (`national`, as its owner, a superuser)
/// subscribes to province `province_code`'s publication at `publisher_url` (the subscription
/// login of `publish`). The province must be that province's node with this node's schema and
/// reference data, or its rows would land on other ids (admin units) or columns.
pub fn subscribe(national: &mut PgConnection, province_code: &str, publisher_url: &str) -> anyhow::Result<()> {
    let ours = store::federation::node(national).context("while reading this database's federation scope")?;
    if ours.scope != Scope::National {
        bail!("only the national node subscribes (this database is {})", ours.scope);
    }
    let mut publisher = PgConnection::establish(publisher_url)
        .with_context(|| format!("while connecting to province {province_code}'s database"))?;
    let theirs = store::federation::node(&mut publisher)
        .with_context(|| format!("while reading province {province_code}'s federation scope"))?;
    drop(publisher);
    if theirs.scope != Scope::Province(province_code.to_string()) {
        bail!("the database at that URL is {}, not province {province_code}", theirs.scope);
    }
    if theirs.schema_version != ours.schema_version {
        bail!(
            "province {province_code} runs schema {:?} and this node {:?}: migrate both to the same release first",
            theirs.schema_version,
            ours.schema_version
        );
    }
    if theirs.reference_fingerprint != ours.reference_fingerprint {
        bail!(
            "province {province_code}'s reference data (administrative units, land-use types, procedures) differs from \
             this node's: load the same sample-data/ on both (`diachinh federation init`)"
        );
    }
    store::federation::subscribe(national, province_code, publisher_url)
        .map_err(|e| anyhow::anyhow!("while subscribing to province {province_code}: {e}"))
}

/// `diachinh federation status`.
pub fn status(conn: &mut PgConnection) -> anyhow::Result<Status> {
    store::federation::status(conn).context("while reading the federation status")
}
