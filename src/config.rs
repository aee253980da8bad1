//! The one configuration: a TOML file (optional) overridden by the environment, read once at
//! start-up. `diachinh config` prints the effective values. Nothing else reads the environment
//! for settings.
//!
//! File: `--config FILE`, else `DIACHINH_CONFIG`, else `./diachinh.toml` when it exists.
//! Every key can also be set by its environment variable (in brackets below):
//!
//! ```toml
//! database_url = "postgres://…"      # [DATABASE_URL] what the service connects as: a login
//!                                    #   with only the service's grants (`diachinh db roles`)
//! owner_database_url = "postgres://…" # [DATABASE_OWNER_URL] migrations and seeding (default:
//!                                    #   database_url)
//! database_replica_urls = ["postgres://…"] # [DATABASE_REPLICA_URL, comma-separated] streaming
//!                                    #   replicas of database_url, as the same login: anonymous
//!                                    #   public reads go there (ARCHITECTURE.md, "Read replicas")
//! [cluster]                          # the private cluster, used only with `serve --dev`
//! dir = "var/pg"                     # [DIACHINH_PG_DIR]
//! port = 54320                       # [DIACHINH_PG_PORT]
//! durable = true                     # [DIACHINH_PG_DURABLE] false turns fsync off (tests)
//! [service]
//! sliver_tolerance_m2 = 0.1          # [DIACHINH_SLIVER_TOLERANCE_M2]
//! boundary_tolerance_m2 = 1.0        # [DIACHINH_BOUNDARY_TOLERANCE_M2]
//! token_ttl_hours = 8                # [DIACHINH_TOKEN_TTL_HOURS]
//! office_cutoff = "16:30"            # [DIACHINH_OFFICE_CUTOFF] Vietnam time
//! key_dir = "var/keys"               # [DIACHINH_KEY_DIR] the offices' signing seeds
//! public_url = "https://…"           # [DIACHINH_PUBLIC_URL] printed in certificate QR codes;
//!                                    #   default http://127.0.0.1:8080 (never from a request)
//! trust_forwarded_for = false        # [DIACHINH_TRUST_FORWARDED_FOR] sign-in throttle keys on
//!                                    #   X-Forwarded-For (only behind a proxy that sets it)
//! web_dir = "web"                    # [DIACHINH_WEB_DIR] the web map's files
//! mail_spool = "var/mail/notices.mbox" # [DIACHINH_MAIL_SPOOL] where notices to citizens are
//!                                    #   written (an mbox file; nothing is sent)
//! upload_file_kib = 10240            # [DIACHINH_UPLOAD_FILE_KIB] largest file of an online submission
//! upload_total_kib = 25600           # [DIACHINH_UPLOAD_TOTAL_KIB] largest sum of its files
//! upload_files = 10                  # [DIACHINH_UPLOAD_FILES] most files in one submission
//! [federation]                       # docs/FEDERATION.md
//! mode = "standalone"                # [DIACHINH_FEDERATION_MODE] standalone, province (one
//!                                    #   province's register, published) or national (the
//!                                    #   read-only copy subscribed to every province)
//! province = "92"                    # [DIACHINH_FEDERATION_PROVINCE] with mode = "province"
//! ```

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};

use diesel::{Connection, PgConnection};

use crate::cluster::{Cluster, APP_DB, SERVICE_ROLE};
use crate::service::Settings;

/// The private cluster's place and port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    pub dir: PathBuf,
    pub port: u16,
    pub durable: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig { dir: PathBuf::from("var/pg"), port: 54320, durable: true }
    }
}

/// The service's tunables as written in the file (see [`Settings`] for their meaning).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sliver_tolerance_m2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary_tolerance_m2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_ttl_hours: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_cutoff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_forwarded_for: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_spool: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_file_kib: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_total_kib: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_files: Option<usize>,
}

/// Where this server stands in the province federation (checked by [`Config::federation_scope`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
}

impl Default for FederationConfig {
    fn default() -> Self {
        FederationConfig { mode: "standalone".into(), province: None }
    }
}

/// Everything `diachinh` is configured with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_database_url: Option<String>,
    /// Read replicas (hot standbys of `database_url`); empty: every read on the primary.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub database_replica_urls: Vec<String>,
    pub cluster: ClusterConfig,
    pub service: ServiceConfig,
    pub federation: FederationConfig,
}

impl Config {
    /// The file (if any), then the process environment on top.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let env_file = std::env::var_os("DIACHINH_CONFIG").map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(env_file);
        let mut config = match &file {
            Some(path) => Config::from_file(path)?,
            None if Path::new("diachinh.toml").is_file() => Config::from_file(Path::new("diachinh.toml"))?,
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.settings()?; // refuse bad values at start-up, not at the first request
        Ok(config)
    }

    fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("while reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("while reading {}", path.display()))
    }

    /// Overrides from environment variables (`var` looks one up), each named in the module doc.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(name: &str, v: &str) -> anyhow::Result<T>
        where
            T::Err: std::fmt::Display,
        {
            v.trim().parse::<T>().map_err(|e| anyhow!("{name}={v}: {e}"))
        }
        if let Some(v) = var("DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = var("DATABASE_OWNER_URL") {
            self.owner_database_url = Some(v);
        }
        if let Some(v) = var("DATABASE_REPLICA_URL") {
            self.database_replica_urls =
                v.split(',').map(str::trim).filter(|u| !u.is_empty()).map(str::to_string).collect();
        }
        if let Some(v) = var("DIACHINH_PG_DIR") {
            self.cluster.dir = PathBuf::from(v);
        }
        if let Some(v) = var("DIACHINH_PG_PORT") {
            self.cluster.port = parse("DIACHINH_PG_PORT", &v)?;
        }
        if let Some(v) = var("DIACHINH_PG_DURABLE") {
            self.cluster.durable = v.trim() != "0" && v.trim() != "false";
        }
        let s = &mut self.service;
        if let Some(v) = var("DIACHINH_SLIVER_TOLERANCE_M2") {
            s.sliver_tolerance_m2 = Some(parse("DIACHINH_SLIVER_TOLERANCE_M2", &v)?);
        }
        if let Some(v) = var("DIACHINH_BOUNDARY_TOLERANCE_M2") {
            s.boundary_tolerance_m2 = Some(parse("DIACHINH_BOUNDARY_TOLERANCE_M2", &v)?);
        }
        if let Some(v) = var("DIACHINH_TOKEN_TTL_HOURS") {
            s.token_ttl_hours = Some(parse("DIACHINH_TOKEN_TTL_HOURS", &v)?);
        }
        if let Some(v) = var("DIACHINH_OFFICE_CUTOFF") {
            s.office_cutoff = Some(v);
        }
        if let Some(v) = var("DIACHINH_KEY_DIR") {
            s.key_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = var("DIACHINH_PUBLIC_URL") {
            s.public_url = Some(v);
        }
        if let Some(v) = var("DIACHINH_TRUST_FORWARDED_FOR") {
            s.trust_forwarded_for = Some(parse("DIACHINH_TRUST_FORWARDED_FOR", &v)?);
        }
        if let Some(v) = var("DIACHINH_WEB_DIR") {
            s.web_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = var("DIACHINH_MAIL_SPOOL") {
            s.mail_spool = Some(PathBuf::from(v));
        }
        if let Some(v) = var("DIACHINH_UPLOAD_FILE_KIB") {
            s.upload_file_kib = Some(parse("DIACHINH_UPLOAD_FILE_KIB", &v)?);
        }
        if let Some(v) = var("DIACHINH_UPLOAD_TOTAL_KIB") {
            s.upload_total_kib = Some(parse("DIACHINH_UPLOAD_TOTAL_KIB", &v)?);
        }
        if let Some(v) = var("DIACHINH_UPLOAD_FILES") {
            s.upload_files = Some(parse("DIACHINH_UPLOAD_FILES", &v)?);
        }
        if let Some(v) = var("DIACHINH_FEDERATION_MODE") {
            self.federation.mode = v;
        }
        if let Some(v) = var("DIACHINH_FEDERATION_PROVINCE") {
            self.federation.province = Some(v).filter(|v| !v.trim().is_empty());
        }
        Ok(())
    }

    /// The service's settings: defaults with the configured values applied.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::default();
        let s = &self.service;
        if let Some(v) = s.sliver_tolerance_m2 {
            settings.sliver_tolerance_m2 = non_negative("sliver_tolerance_m2", v)?;
        }
        if let Some(v) = s.boundary_tolerance_m2 {
            settings.boundary_tolerance_m2 = non_negative("boundary_tolerance_m2", v)?;
        }
        if let Some(v) = s.token_ttl_hours {
            if !(v > 0.0 && v <= 24.0 * 30.0) {
                return Err(anyhow!("token_ttl_hours={v}: between 0 and 720 hours"));
            }
            settings.token_ttl = chrono::Duration::minutes((v * 60.0) as i64);
        }
        if let Some(v) = &s.office_cutoff {
            settings.office_cutoff = crate::service::dossiers::parse_cutoff(v)
                .ok_or_else(|| anyhow!("office_cutoff={v}: not a time of day (HH:MM, Vietnam time)"))?;
        }
        if let Some(v) = &s.key_dir {
            settings.key_dir = v.clone();
        }
        if let Some(v) = &s.public_url {
            let url = v.trim().trim_end_matches('/');
            let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or_default();
            if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
                return Err(anyhow!(
                    "public_url={v}: an http(s) base URL without a path, e.g. https://dichvu.example.vn"
                ));
            }
            settings.public_base_url = url.to_string();
        }
        if let Some(v) = s.trust_forwarded_for {
            settings.trust_forwarded_for = v;
        }
        settings.web_dir = s.web_dir.clone();
        if let Some(v) = &s.mail_spool {
            settings.mail_spool = v.clone();
        }
        let limits = &mut settings.upload_limits;
        for (value, name, slot, scale) in [
            (s.upload_file_kib, "upload_file_kib", &mut limits.file_bytes, 1024),
            (s.upload_total_kib, "upload_total_kib", &mut limits.total_bytes, 1024),
            (s.upload_files, "upload_files", &mut limits.files, 1),
        ] {
            if let Some(v) = value {
                // Past 1 GiB an upload belongs in another channel than a web form.
                if v == 0 || v.saturating_mul(scale) > 1 << 30 {
                    return Err(anyhow!("{name}={v}: positive, and at most 1 GiB in all"));
                }
                *slot = v * scale;
            }
        }
        if limits.file_bytes > limits.total_bytes {
            return Err(anyhow!("upload_file_kib is larger than upload_total_kib"));
        }
        settings.federation = self.federation_scope()?;
        Ok(settings)
    }

    /// What this server is in the province federation: `[federation]` mode and province.
    pub fn federation_scope(&self) -> anyhow::Result<store::federation::Scope> {
        let f = &self.federation;
        store::federation::Scope::parse(&f.mode, f.province.as_deref()).map_err(|e| anyhow!("[federation] {e}"))
    }

    /// The private cluster this configuration describes.
    pub fn private_cluster(&self) -> Cluster {
        Cluster::new(self.cluster.dir.clone(), self.cluster.port, self.cluster.durable)
    }

    /// The database the service connects to, as a login with only the service's rights:
    /// `database_url` when set; otherwise, when `embedded` allows it, the private cluster
    /// (started if needed, its service login made or refreshed). A production `serve`
    /// without a URL fails instead of quietly creating a database under `./var/`.
    pub fn service_database_url(&self, embedded: Embedded) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        self.require_embedded(embedded)?;
        let cluster = self.private_cluster();
        cluster.start()?;
        let mut owner = PgConnection::establish(&cluster.url(APP_DB)).context("while connecting to the cluster")?;
        store::roles::ensure_login(&mut owner, SERVICE_ROLE, &cluster.service_password()?)
            .context("while creating the service's database login")?;
        cluster.service_url(APP_DB)
    }

    /// The database as its owner, for migrations, seeding and accounts: `owner_database_url`,
    /// else `database_url`, else (when `embedded` allows it) the private cluster's superuser.
    pub fn owner_database_url(&self, embedded: Embedded) -> anyhow::Result<String> {
        if let Some(url) = self.owner_database_url.as_ref().or(self.database_url.as_ref()) {
            return Ok(url.clone());
        }
        self.require_embedded(embedded)?;
        let cluster = self.private_cluster();
        cluster.start()?;
        Ok(cluster.url(APP_DB))
    }

    fn require_embedded(&self, embedded: Embedded) -> anyhow::Result<()> {
        if embedded == Embedded::Refused {
            return Err(anyhow!(
                "no database configured: set DATABASE_URL (or database_url in the config file), \
                 or pass --dev to use the private development cluster under {}",
                self.cluster.dir.display()
            ));
        }
        Ok(())
    }

    /// The configuration as TOML, with the password of `database_url` masked.
    pub fn to_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = shown.database_url.map(|u| mask_password(&u));
        shown.owner_database_url = shown.owner_database_url.map(|u| mask_password(&u));
        shown.database_replica_urls = shown.database_replica_urls.iter().map(|u| mask_password(u)).collect();
        toml::to_string(&shown).expect("the configuration serialises")
    }
}

/// May the private cluster stand in for a missing `database_url`?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedded {
    Allowed,
    Refused,
}

fn non_negative(name: &str, v: f64) -> anyhow::Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(anyhow!("{name}={v}: a non-negative number"))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((credentials, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// The database as its owner for tools that run on a developer's machine (benchmarks, the
/// generator): the configured URL, else the private cluster.
pub fn owner_database_url() -> anyhow::Result<String> {
    Config::load(None)?.owner_database_url(Embedded::Allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let mut c: Config = toml::from_str(
            "database_url = \"postgres://a@h/db\"\n[cluster]\nport = 5999\n[service]\noffice_cutoff = \"16:00\"\n",
        )
        .unwrap();
        c.apply_env(env(&[("DIACHINH_PG_PORT", "6000"), ("DIACHINH_TOKEN_TTL_HOURS", "2")])).unwrap();
        assert_eq!(c.cluster.port, 6000);
        assert_eq!(c.database_url.as_deref(), Some("postgres://a@h/db"));
        let s = c.settings().unwrap();
        assert_eq!(s.office_cutoff, chrono::NaiveTime::from_hms_opt(16, 0, 0).unwrap());
        assert_eq!(s.token_ttl, chrono::Duration::hours(2));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<Config>("[service]\nslivr = 1\n").is_err());
        let mut c = Config::default();
        assert!(c.apply_env(env(&[("DIACHINH_PG_PORT", "port")])).is_err());
        c.service.office_cutoff = Some("25:99".into());
        assert!(c.settings().is_err());
        c.service.office_cutoff = None;
        c.service.sliver_tolerance_m2 = Some(-1.0);
        assert!(c.settings().is_err());
    }

    #[test]
    fn federation_comes_from_the_file_or_the_environment() {
        use store::federation::Scope;
        assert_eq!(Config::default().settings().unwrap().federation, Scope::Standalone);
        let mut c: Config = toml::from_str("[federation]\nmode = \"province\"\nprovince = \"92\"\n").unwrap();
        assert_eq!(c.settings().unwrap().federation, Scope::Province("92".into()));
        c.apply_env(env(&[("DIACHINH_FEDERATION_MODE", "national"), ("DIACHINH_FEDERATION_PROVINCE", "")])).unwrap();
        assert_eq!(c.federation_scope().unwrap(), Scope::National);
        c.federation.mode = "province".into();
        let e = c.settings().unwrap_err().to_string();
        assert!(e.contains("[federation]") && e.contains("province"), "{e}");
        assert!(toml::from_str::<Config>("[federation]\nprovinces = \"92\"\n").is_err());
    }

    #[test]
    fn production_serve_needs_a_database_url() {
        let e = Config::default().service_database_url(Embedded::Refused).unwrap_err().to_string();
        assert!(e.contains("DATABASE_URL") && e.contains("--dev"), "{e}");
    }

    #[test]
    fn replica_urls_come_comma_separated_from_the_environment() {
        let mut c: Config = toml::from_str("database_replica_urls = [\"postgres://a@r0/db\"]\n").unwrap();
        assert_eq!(c.database_replica_urls, ["postgres://a@r0/db"]);
        c.apply_env(env(&[("DATABASE_REPLICA_URL", "postgres://a:pw@r1/db, postgres://a:pw@r2/db,")])).unwrap();
        assert_eq!(c.database_replica_urls, ["postgres://a:pw@r1/db", "postgres://a:pw@r2/db"]);
        let text = c.to_toml();
        assert!(text.contains("postgres://a:***@r2/db") && !text.contains(":pw@"), "{text}");
    }

    #[test]
    fn printed_configuration_hides_the_password() {
        let c = Config { database_url: Some("postgres://app:s3cret@db:5432/land".into()), ..Config::default() };
        let text = c.to_toml();
        assert!(text.contains("postgres://app:***@db:5432/land") && !text.contains("s3cret"), "{text}");
        assert_eq!(toml::from_str::<Config>(&text).unwrap().cluster, ClusterConfig::default());
    }
}
