//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Block, unblock and list the users blocked on a WhatsApp Business phone number.
///
/// Credentials come from WABLOCK_PROVIDER, WABLOCK_PHONE_NUMBER_ID, WABLOCK_ACCESS_TOKEN,
/// WABLOCK_API_KEY, WABLOCK_BASE_URL and WABLOCK_API_VERSION, or from the flags below (flags
/// win). Add --sandbox to try any command on an embedded sandbox with demo data.
///
/// Exit codes: 0 every user succeeded (check: blocked), 1 some users failed (check: not
/// blocked), 2 the call failed as a whole, 64 usage error.
#[derive(Debug, Parser)]
#[command(name = "wablock", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Connection, tuning and output flags: accepted before the command or after it, and shown
/// only in the help of the commands that use them (block, unblock, list, check).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection and output")]
pub struct Global {
    /// Run against an in-process sandbox seeded with demo data (no credentials needed).
    #[arg(long)]
    pub sandbox: bool,
    /// The API: Meta's Cloud API or 360dialog [env: WABLOCK_PROVIDER].
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Meta phone number ID (not the phone number); several, comma-separated, fan the command
    /// out over each number [env: WABLOCK_PHONE_NUMBER_ID].
    #[arg(long, value_name = "ID")]
    pub phone_number_id: Option<String>,
    /// Meta access token; prefer the environment, flags show up in `ps` [env: WABLOCK_ACCESS_TOKEN].
    #[arg(long, value_name = "TOKEN")]
    pub access_token: Option<String>,
    /// 360dialog API key; prefer the environment, flags show up in `ps` [env: WABLOCK_API_KEY].
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// A file of `label=secret` lines, one per number: 360dialog API keys (label: a name of
    /// your choice), or Meta access tokens (label: the phone number ID) [env:
    /// WABLOCK_KEYS_FILE].
    #[arg(long, value_name = "PATH")]
    pub keys_file: Option<String>,
    /// Base URL of the API (a proxy, a sandbox) [env: WABLOCK_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Graph API version, e.g. v25.0 (Meta only) [env: WABLOCK_API_VERSION].
    #[arg(long, value_name = "VERSION")]
    pub api_version: Option<String>,
    /// Batches in flight at once, 1 to 16 (default 4).
    #[arg(long, value_name = "N")]
    pub parallelism: Option<usize>,
    /// Users per request, 1 to 1000 (default 1000).
    #[arg(long, value_name = "N")]
    pub max_batch: Option<usize>,
    /// Seconds allowed to connect and to read each response (default 10 and 30).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Retries after the first attempt; 0 disables retries (default 3).
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Print the canonical JSON of the result (same as --format json).
    #[arg(long)]
    pub json: bool,
    /// Output format; csv is for list only.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

impl Global {
    /// These flags as given before the command, overridden by those given after it.
    pub fn merge(self, after: Global) -> Global {
        Global {
            sandbox: self.sandbox || after.sandbox,
            provider: after.provider.or(self.provider),
            phone_number_id: after.phone_number_id.or(self.phone_number_id),
            access_token: after.access_token.or(self.access_token),
            api_key: after.api_key.or(self.api_key),
            keys_file: after.keys_file.or(self.keys_file),
            base_url: after.base_url.or(self.base_url),
            api_version: after.api_version.or(self.api_version),
            parallelism: after.parallelism.or(self.parallelism),
            max_batch: after.max_batch.or(self.max_batch),
            timeout: after.timeout.or(self.timeout),
            retries: after.retries.or(self.retries),
            json: self.json || after.json,
            format: after.format.or(self.format),
        }
    }

    /// True when any flag at all is set (for commands that take none of them).
    pub fn is_empty(&self) -> bool {
        !self.has_connection_flags()
            && !self.sandbox
            && self.keys_file.is_none()
            && self.api_version.is_none()
            && self.parallelism.is_none()
            && self.max_batch.is_none()
            && self.timeout.is_none()
            && self.retries.is_none()
            && !self.json
            && self.format.is_none()
    }

    /// True when any flag that chooses an API or credentials is set.
    pub fn has_connection_flags(&self) -> bool {
        self.provider.is_some()
            || self.phone_number_id.is_some()
            || self.access_token.is_some()
            || self.api_key.is_some()
            || self.base_url.is_some()
            || self.keys_file.is_some()
    }
}

/// The provider flag's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    /// Meta's Cloud API (graph.facebook.com).
    Meta,
    /// 360dialog (waba-v2.360dialog.io).
    #[value(name = "360dialog")]
    Dialog360,
}

impl ProviderArg {
    /// The value `WABLOCK_PROVIDER` takes for this provider.
    pub fn as_env(self) -> &'static str {
        match self {
            ProviderArg::Meta => "meta",
            ProviderArg::Dialog360 => "360dialog",
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable table.
    Table,
    /// Canonical JSON (docs/behaviour.md §5), one line.
    Json,
    /// Comma-separated values (list only).
    Csv,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Block users (phone numbers, WA IDs or BSUIDs).
    Block(BlockArgs),
    /// Unblock users.
    Unblock(UsersArgs),
    /// List blocked users: one page, or every page with --all.
    List {
        #[command(flatten)]
        global: Global,
        /// Users per page (wablock's default, 100, when absent).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        limit: Option<u32>,
        /// Follow the cursors and list every blocked user.
        #[arg(long)]
        all: bool,
        /// Start after this cursor (from an earlier page).
        #[arg(long, value_name = "CURSOR", conflicts_with = "before")]
        after: Option<String>,
        /// End before this cursor (from an earlier page).
        #[arg(long, value_name = "CURSOR")]
        before: Option<String>,
    },
    /// Tell whether one user is blocked (exit 0 blocked, 1 not blocked, 2 error).
    Check {
        /// The user: phone number, WA ID or BSUID.
        user: String,
        #[command(flatten)]
        global: Global,
    },
    /// Blocks queued by `block --when-possible`, waiting for their user to write in.
    Pending {
        /// Print the canonical JSON of the queue.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Receive WhatsApp webhooks: each user's next message opens their 24-hour window and
    /// makes their queued block.
    Webhook {
        #[command(subcommand)]
        command: crate::window::WebhookCommand,
    },
    /// Run the local sandbox of the API.
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
    /// Walk through the API's behaviour on an embedded sandbox.
    Demo,
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell) on stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, or write one page per command into a directory.
    Man {
        /// Write wablock.1 and a page per subcommand (wablock-block.1, …) into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// `sandbox` subcommands.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox, seeded with demo data, in the foreground; prints its URL first.
    Serve {
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// No 24-hour rule: any valid user can be blocked.
        #[arg(long)]
        open: bool,
        /// Sleep this many milliseconds before every API response.
        #[arg(long, value_name = "MS", default_value_t = 0)]
        latency_ms: u64,
        /// Also POST the webhook of each `/_sandbox/inbound` message to this http:// URL
        /// (e.g. a `wablock webhook serve`).
        #[arg(long, value_name = "URL")]
        webhook_url: Option<String>,
        /// The app secret the sandbox signs its webhooks with (default sandbox-app-secret).
        #[arg(long, value_name = "SECRET")]
        app_secret: Option<String>,
    },
}

/// Where queued blocks and the 24-hour windows are kept.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreArg {
    /// A SQLite file or a postgres:// URL (default: the user data directory's
    /// wablock/window.db) [env: WABLOCK_STORE].
    #[arg(long, value_name = "PATH|URL")]
    pub store: Option<String>,
}

/// `block`: the users, and whether to queue the ones outside their 24-hour window.
#[derive(Debug, Args)]
pub struct BlockArgs {
    #[command(flatten)]
    pub users: UsersArgs,
    /// Queue the users refused for the 24-hour rule (REENGAGEMENT_REQUIRED); `webhook
    /// ingest`/`webhook serve` block them when they next write in (docs/window.md).
    #[arg(long)]
    pub when_possible: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

/// The users of `block` and `unblock`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// Users: phone numbers in any common writing, WA IDs, or BSUIDs (CC.xxxx).
    #[arg(value_name = "USERS", conflicts_with = "from_file")]
    pub users: Vec<String>,
    /// Read users from a file, one per line (`-` for stdin); blank lines and # comments skipped.
    #[arg(long, value_name = "PATH")]
    pub from_file: Option<String>,
    /// Read --from-file as CSV and take the users from this column: its header NAME, or its
    /// position N counting from 1.
    #[arg(long, value_name = "NAME|N")]
    pub column: Option<String>,
    #[command(flatten)]
    pub global: Global,
}
