//! The durable store: SQLite (embedded default) or PostgreSQL (several receiving hosts), with
//! one schema and one list of versioned migrations.
//!
//! Every statement is written once, with `$n` placeholders, and runs on either backend through
//! the small [`Exec`] adapter; SQLite reads `$n` as `?n`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::error::{Error, ErrorKind};

/// The schema, one migration per version, applied in order and recorded in
/// `wablock_schema_migrations`. Never edit a released migration: append a new one.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE wablock_messages (
        phone_number_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        sent_at_ms BIGINT NOT NULL,
        received_at_ms BIGINT NOT NULL,
        PRIMARY KEY (phone_number_id, message_id)
    );
    CREATE TABLE wablock_windows (
        phone_number_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        last_inbound_ms BIGINT NOT NULL,
        PRIMARY KEY (phone_number_id, user_key)
    );
    CREATE TABLE wablock_pending (
        phone_number_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        input TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        claim_owner TEXT,
        claimed_until_ms BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (phone_number_id, user_key)
    );",
)];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 1;

/// How long a SQLite writer waits for another process's write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where pending blocks and inbound times are kept. Open one with [`Store::open`].
pub struct Store {
    backend: Mutex<Backend>,
    description: String,
}

enum Backend {
    Sqlite(rusqlite::Connection),
    Postgres {
        client: Box<postgres::Client>,
        /// Kept to reconnect; may hold a password, so it is never printed.
        url: String,
    },
}

/// A queued block, waiting for the user to write in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingBlock {
    /// The business phone number the block is for.
    pub phone_number_id: String,
    /// The user's identity: WA ID digits, or the BSUID.
    pub user: String,
    /// The caller's original string, sent as is when the block is made.
    pub input: String,
    /// When it was queued, Unix milliseconds.
    pub created_at_ms: i64,
    /// The process holding it right now, if any (claims expire).
    pub claim_owner: Option<String>,
    /// Until when that claim holds, Unix milliseconds (0 when unclaimed).
    pub claimed_until_ms: i64,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.description)
            .finish()
    }
}

impl Store {
    /// Opens (creating and migrating if needed) the store at `location`: a `postgres://` or
    /// `postgresql://` URL selects PostgreSQL, anything else is a SQLite file path.
    pub fn open(location: &str) -> Result<Store, Error> {
        let trimmed = location.trim();
        if trimmed.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the store location is empty; pass a SQLite file path or a postgres:// URL",
            ));
        }
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Store::open_postgres(trimmed);
        }
        // A mistyped URL must not silently become a SQLite file named after it.
        if let Some((scheme, _)) = trimmed.split_once(':').filter(|(scheme, rest)| {
            rest.starts_with("//") || scheme.to_ascii_lowercase().starts_with("postgres")
        }) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "the store location has the scheme '{}', which is not supported; pass a \
                     SQLite file path or a postgres://user@host/database URL",
                    scheme
                        .chars()
                        .take(32)
                        .flat_map(char::escape_default)
                        .collect::<String>()
                ),
            ));
        }
        Store::open_sqlite(Path::new(location))
    }

    /// Opens the SQLite store at the default path, `<data dir>/wablock/window.db` (for example
    /// `~/.local/share/wablock/window.db` on Linux), creating the directory.
    pub fn open_default() -> Result<Store, Error> {
        Store::open_sqlite(&default_path()?)
    }

    fn open_sqlite(path: &Path) -> Result<Store, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::store(&format!("cannot create the directory {}", dir.display()), e)
            })?;
        }
        let open_err = |e: rusqlite::Error| {
            Error::store(
                &format!("cannot open the SQLite store {}", path.display()),
                e,
            )
        };
        let conn = rusqlite::Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT).map_err(open_err)?;
        // WAL lets readers and one writer from several processes work side by side.
        let mode = enable_wal(&conn).map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::store(
                &format!("cannot put {} in WAL mode", path.display()),
                format!("the journal mode stayed '{mode}'"),
            ));
        }
        let store = Store {
            backend: Mutex::new(Backend::Sqlite(conn)),
            description: format!("sqlite:{}", path.display()),
        };
        store.migrate()?;
        Ok(store)
    }

    fn open_postgres(url: &str) -> Result<Store, Error> {
        // The URL may hold a password: it is never quoted, only the server's own error text.
        let client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|e| Error::store("cannot connect to the PostgreSQL store", e))?;
        let store = Store {
            backend: Mutex::new(Backend::Postgres {
                client: Box::new(client),
                url: url.to_string(),
            }),
            description: "postgres:[url redacted]".to_string(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Whether this store is PostgreSQL (rather than SQLite).
    pub fn is_postgres(&self) -> bool {
        matches!(&*self.lock(), Backend::Postgres { .. })
    }

    /// The schema version the store is at.
    pub fn schema_version(&self) -> Result<i64, Error> {
        self.transaction(|tx| {
            let rows = tx.query(
                "SELECT MAX(version) FROM wablock_schema_migrations",
                &[],
                &[Col::OptInt],
            )?;
            Ok(rows.first().and_then(|r| r[0].int_opt()).unwrap_or(0))
        })
    }

    fn migrate(&self) -> Result<(), Error> {
        self.transaction(|tx| {
            // Two processes opening a fresh database at once must not both create the tables.
            if tx.is_postgres() {
                tx.query("SELECT pg_advisory_xact_lock(727582611)", &[], &[Col::Skip])?;
            }
            tx.batch(
                "CREATE TABLE IF NOT EXISTS wablock_schema_migrations (
                    version BIGINT PRIMARY KEY,
                    applied_at_ms BIGINT NOT NULL
                )",
            )?;
            let applied = tx.query(
                "SELECT MAX(version) FROM wablock_schema_migrations",
                &[],
                &[Col::OptInt],
            )?;
            let current = applied.first().and_then(|r| r[0].int_opt()).unwrap_or(0);
            if current > SCHEMA_VERSION {
                return Err(Error::new(
                    ErrorKind::Store,
                    format!(
                        "the store is at schema version {current}, newer than this build knows \
                         ({SCHEMA_VERSION}); upgrade wablock-window"
                    ),
                ));
            }
            for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
                tx.batch(sql)?;
                tx.exec(
                    "INSERT INTO wablock_schema_migrations (version, applied_at_ms) VALUES ($1, $2)",
                    &[P::Int(*version), P::Int(crate::clock::system_now_ms())],
                )?;
            }
            Ok(())
        })
    }

    fn lock(&self) -> MutexGuard<'_, Backend> {
        // A panic while holding the lock leaves the connection usable: transactions roll back.
        self.backend
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in one transaction (SQLite: `BEGIN IMMEDIATE`, so the write lock is taken
    /// up front and concurrent writers queue instead of failing mid-way).
    pub(crate) fn transaction<T>(
        &self,
        work: impl FnOnce(&mut dyn Exec) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut backend = self.lock();
        match &mut *backend {
            Backend::Sqlite(conn) => {
                let mut tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| Error::store("cannot begin a SQLite transaction", e))?;
                let value = work(&mut tx)?;
                tx.commit()
                    .map_err(|e| Error::store("cannot commit to the SQLite store", e))?;
                Ok(value)
            }
            Backend::Postgres { client, url } => {
                // A server restart or a dropped connection fails the call that meets it; the
                // next call reconnects instead of failing for the life of the process.
                if client.is_closed() {
                    **client = postgres::Client::connect(url, postgres::NoTls)
                        .map_err(|e| Error::store("cannot reconnect to the PostgreSQL store", e))?;
                }
                let mut tx = client
                    .transaction()
                    .map_err(|e| Error::store("cannot begin a PostgreSQL transaction", e))?;
                let value = work(&mut tx)?;
                tx.commit()
                    .map_err(|e| Error::store("cannot commit to the PostgreSQL store", e))?;
                Ok(value)
            }
        }
    }
}

/// Switches the file to WAL and returns the journal mode it is in. Hosts opening a fresh
/// store at once race for the switch, which needs the file to itself, and SQLite answers the
/// losers "database is locked" at once, without its busy handler: they try again, until the
/// busy timeout, as a busy write would wait.
fn enable_wal(conn: &rusqlite::Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + SQLITE_BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

fn default_path() -> Result<PathBuf, Error> {
    let base = dirs::data_dir().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            "no user data directory is known on this system (is HOME set?); pass a store path \
             to Store::open",
        )
    })?;
    Ok(base.join("wablock").join("window.db"))
}

/// A statement parameter.
#[derive(Debug, Clone)]
pub(crate) enum P {
    Text(String),
    Int(i64),
}

/// The type expected in a result column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    Text,
    OptText,
    Int,
    OptInt,
    Skip,
}

/// A result cell.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Text(String),
    Int(i64),
    Null,
}

impl Cell {
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Null => String::new(),
        }
    }

    pub(crate) fn text_opt(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            other => Some(other.text()),
        }
    }

    pub(crate) fn int(&self) -> i64 {
        self.int_opt().unwrap_or(0)
    }

    pub(crate) fn int_opt(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Text(s) => s.parse().ok(),
            Cell::Null => None,
        }
    }
}

/// The statements the store runs, on either backend.
pub(crate) trait Exec {
    fn is_postgres(&self) -> bool;
    fn batch(&mut self, sql: &str) -> Result<(), Error>;
    fn exec(&mut self, sql: &str, params: &[P]) -> Result<u64, Error>;
    fn query(&mut self, sql: &str, params: &[P], cols: &[Col]) -> Result<Vec<Vec<Cell>>, Error>;
}

fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

fn sqlite_params(params: &[P]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|p| match p {
            P::Text(s) => rusqlite::types::Value::Text(s.clone()),
            P::Int(i) => rusqlite::types::Value::Integer(*i),
        })
        .collect()
}

impl Exec for rusqlite::Transaction<'_> {
    fn is_postgres(&self) -> bool {
        false
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.execute_batch(sql)
            .map_err(|e| Error::store("a SQLite statement failed", e))
    }

    fn exec(&mut self, sql: &str, params: &[P]) -> Result<u64, Error> {
        self.execute(
            &sqlite_sql(sql),
            rusqlite::params_from_iter(sqlite_params(params)),
        )
        .map(|n| n as u64)
        .map_err(|e| Error::store("a SQLite statement failed", e))
    }

    fn query(&mut self, sql: &str, params: &[P], cols: &[Col]) -> Result<Vec<Vec<Cell>>, Error> {
        let err = |e: rusqlite::Error| Error::store("a SQLite query failed", e);
        let mut stmt = self.prepare(&sqlite_sql(sql)).map_err(err)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(sqlite_params(params)))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut cells = Vec::with_capacity(cols.len());
            for (i, col) in cols.iter().enumerate() {
                let value: rusqlite::types::Value = match col {
                    Col::Skip => rusqlite::types::Value::Null,
                    _ => row.get(i).map_err(err)?,
                };
                cells.push(match value {
                    rusqlite::types::Value::Text(s) => Cell::Text(s),
                    rusqlite::types::Value::Integer(i) => Cell::Int(i),
                    _ => Cell::Null,
                });
            }
            out.push(cells);
        }
        Ok(out)
    }
}

impl Exec for postgres::Transaction<'_> {
    fn is_postgres(&self) -> bool {
        true
    }

    fn batch(&mut self, sql: &str) -> Result<(), Error> {
        self.batch_execute(sql)
            .map_err(|e| Error::store("a PostgreSQL statement failed", e))
    }

    fn exec(&mut self, sql: &str, params: &[P]) -> Result<u64, Error> {
        let refs = pg_params(params);
        self.execute(sql, &refs)
            .map_err(|e| Error::store("a PostgreSQL statement failed", e))
    }

    fn query(&mut self, sql: &str, params: &[P], cols: &[Col]) -> Result<Vec<Vec<Cell>>, Error> {
        let err = |e: postgres::Error| Error::store("a PostgreSQL query failed", e);
        let refs = pg_params(params);
        let rows = postgres::Transaction::query(self, sql, &refs).map_err(err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cells = Vec::with_capacity(cols.len());
            for (i, col) in cols.iter().enumerate() {
                cells.push(match col {
                    Col::Text | Col::OptText => row
                        .try_get::<_, Option<String>>(i)
                        .map_err(err)?
                        .map_or(Cell::Null, Cell::Text),
                    Col::Int | Col::OptInt => row
                        .try_get::<_, Option<i64>>(i)
                        .map_err(err)?
                        .map_or(Cell::Null, Cell::Int),
                    Col::Skip => Cell::Null,
                });
            }
            out.push(cells);
        }
        Ok(out)
    }
}

fn pg_params(params: &[P]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            P::Text(s) => s as &(dyn postgres::types::ToSql + Sync),
            P::Int(i) => i as &(dyn postgres::types::ToSql + Sync),
        })
        .collect()
}
