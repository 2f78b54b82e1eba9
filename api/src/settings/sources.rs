//! Where a setting's value comes from: a flag, else a `SIGNET_*` variable,
//! else the settings file; the caller falls back to the default. Every
//! value is text parsed by its setting's one parser, and an error names
//! the flag, variable or file key the bad value came from.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context as _};

use super::keys::{self, Key, Scope};

/// The variable naming the settings file when `--config` does not.
pub const CONFIG_VAR: &str = "SIGNET_CONFIG";

/// Where a value came from, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--listen`.
    Flag(String),
    /// `SIGNET_LISTEN`.
    Var(String),
    /// `listen` in a settings file.
    File { key: String, path: PathBuf },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "{flag}"),
            Self::Var(var) => write!(f, "{var}"),
            Self::File { key, path } => write!(f, "`{key}` in {}", path.display()),
        }
    }
}

/// Reads an environment variable.
type ReadVar = dyn Fn(&str) -> Option<String>;

/// The values given for the settings a command reads, by the three sources.
pub struct Sources {
    /// The settings the command reads; others keep their defaults.
    keys: Vec<Key>,
    /// Values of the flags given on the command line, by key.
    flags: HashMap<&'static str, String>,
    /// Reads a variable; the process environment outside tests.
    var: Box<ReadVar>,
    /// The settings file, if any: its path and its values as text.
    file: Option<(PathBuf, HashMap<String, String>)>,
    /// Why the settings file could not be read; reported by [`Self::check`].
    file_error: Option<anyhow::Error>,
}

impl Sources {
    /// The settings of `scopes`, from the flags given, the variables through
    /// `var`, and the settings file `config` names (else `SIGNET_CONFIG`,
    /// else none). A file that cannot be read is only skipped here, so the
    /// log format can still be found to report it.
    pub fn new(
        scopes: &[Scope],
        flags: HashMap<&'static str, String>,
        config: Option<PathBuf>,
        var: impl Fn(&str) -> Option<String> + 'static,
    ) -> Self {
        let config =
            config.or_else(|| var(CONFIG_VAR).filter(|p| !p.is_empty()).map(PathBuf::from));
        let (file, file_error) = match config.map(|path| read_file(&path).map(|v| (path, v))) {
            None => (None, None),
            Some(Ok(file)) => (Some(file), None),
            Some(Err(e)) => (None, Some(e)),
        };
        Self {
            keys: keys::keys(scopes).collect(),
            flags,
            var: Box::new(var),
            file,
            file_error,
        }
    }

    /// An error if the settings file could not be read or holds an unknown key.
    pub fn check(&mut self) -> anyhow::Result<()> {
        self.file_error.take().map_or(Ok(()), Err)
    }

    /// The value given for the setting `name` and where it came from;
    /// `None` when no source gives it or the command does not read it. An
    /// empty variable counts as unset.
    pub fn value(&self, name: &str) -> Option<(String, Origin)> {
        let key = self.keys.iter().find(|k| k.name == name)?;
        if let Some(value) = self.flags.get(key.name) {
            return Some((value.clone(), Origin::Flag(key.flag())));
        }
        let var = key.var();
        if let Some(value) = (self.var)(&var).filter(|v| !v.is_empty()) {
            return Some((value, Origin::Var(var)));
        }
        let (path, values) = self.file.as_ref()?;
        let value = values.get(key.name)?;
        let origin = Origin::File {
            key: key.name.to_owned(),
            path: path.clone(),
        };
        Some((value.clone(), origin))
    }

    /// The setting `name` read by `parse`; `None` when no source gives it.
    /// An error names the source of the bad value.
    pub fn get<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> anyhow::Result<Option<T>> {
        self.value(name)
            .map(|(value, origin)| parse(&value).map_err(|e| anyhow!("invalid {origin}: {e}")))
            .transpose()
    }
}

/// A settings file's values as text; an unknown key is an error naming it.
fn read_file(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the settings file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not a TOML settings file", path.display()))?;
    let known = keys::all();
    table
        .into_iter()
        .map(|(key, value)| {
            if !known.iter().any(|k| k.name == key) {
                anyhow::bail!(
                    "unknown setting `{key}` in {}; the settings are those of `signet serve \
                     --help`, with `_` for `-`",
                    path.display()
                );
            }
            let text = as_text(&value)
                .with_context(|| format!("invalid `{key}` in {}", path.display()))?;
            Ok((key, text))
        })
        .collect()
}

/// A file value as the text a flag would hold: lists become comma-separated.
fn as_text(value: &toml::Value) -> anyhow::Result<String> {
    use toml::Value;
    Ok(match value {
        Value::String(s) => s.clone(),
        Value::Integer(n) => n.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .map(as_text)
            .collect::<anyhow::Result<Vec<_>>>()?
            .join(","),
        Value::Datetime(_) | Value::Table(_) => {
            anyhow::bail!("must be a string, a number, a boolean or a list")
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    const ALL: [Scope; 4] = [Scope::Every, Scope::Database, Scope::Shared, Scope::Server];

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_flag_beats_a_variable_which_beats_the_file() {
        let f = file("listen = \"127.0.0.1:1\"\nbody_limit = 5\n");
        let var = |name: &str| (name == "SIGNET_LISTEN").then(|| "127.0.0.1:2".to_owned());
        let flags = HashMap::from([("body_limit", "7".to_owned())]);
        let sources = Sources::new(&ALL, flags, Some(f.path().into()), var);
        let listen = sources.value("listen").unwrap();
        assert_eq!(
            listen,
            ("127.0.0.1:2".into(), Origin::Var("SIGNET_LISTEN".into()))
        );
        let limit = sources.value("body_limit").unwrap();
        assert_eq!(limit, ("7".into(), Origin::Flag("--body-limit".into())));
        let file_only = Sources::new(&ALL, HashMap::new(), Some(f.path().into()), none);
        let (limit, from) = file_only.value("body_limit").unwrap();
        assert_eq!(limit, "5");
        assert!(from.to_string().starts_with("`body_limit` in "), "{from}");
        assert_eq!(file_only.value("idle_timeout"), None);
    }

    #[test]
    fn a_command_reads_only_the_settings_of_its_scopes() {
        let var = |_: &str| Some("nowhere".to_owned());
        let admin = Sources::new(&[Scope::Database], HashMap::new(), None, var);
        assert_eq!(admin.value("listen"), None);
        assert!(admin.value("database_url").is_some());
    }

    #[test]
    fn an_unknown_key_in_the_file_is_named() {
        let f = file("listen = \"127.0.0.1:1\"\nlisten_port = 80\n");
        let mut sources = Sources::new(&ALL, HashMap::new(), Some(f.path().into()), none);
        let e = sources.check().unwrap_err();
        assert!(
            format!("{e:#}").contains("unknown setting `listen_port`"),
            "{e:#}"
        );
    }

    #[test]
    fn the_file_may_come_from_signet_config_and_lists_become_commas() {
        let f = file("dns_servers = [\"127.0.0.1:53\", \"127.0.0.2:53\"]\n");
        let path = f.path().to_string_lossy().into_owned();
        let var = move |name: &str| (name == CONFIG_VAR).then(|| path.clone());
        let mut sources = Sources::new(&ALL, HashMap::new(), None, var);
        sources.check().unwrap();
        let (servers, _) = sources.value("dns_servers").unwrap();
        assert_eq!(servers, "127.0.0.1:53,127.0.0.2:53");
    }

    #[test]
    fn a_bad_value_names_the_variable_it_came_from() {
        let var = |name: &str| (name == "SIGNET_LISTEN").then(|| "nowhere".to_owned());
        let sources = Sources::new(&ALL, HashMap::new(), None, var);
        let e = sources
            .get("listen", |s| {
                s.parse::<std::net::SocketAddr>().map_err(|e| e.to_string())
            })
            .unwrap_err();
        assert!(e.to_string().starts_with("invalid SIGNET_LISTEN: "), "{e}");
    }

    #[test]
    fn an_empty_variable_counts_as_unset() {
        let sources = Sources::new(&ALL, HashMap::new(), None, |_: &str| Some(String::new()));
        assert_eq!(sources.value("redis_url"), None);
    }
}
