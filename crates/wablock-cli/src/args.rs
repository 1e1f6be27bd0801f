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

/// Flags accepted before or after any command.
#[derive(Debug, Args)]
pub struct Global {
    /// Run against an in-process sandbox seeded with demo data (no credentials needed).
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// The API: Meta's Cloud API or 360dialog [env: WABLOCK_PROVIDER].
    #[arg(long, global = true, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Meta phone number ID (not the phone number) [env: WABLOCK_PHONE_NUMBER_ID].
    #[arg(long, global = true, value_name = "ID")]
    pub phone_number_id: Option<String>,
    /// Meta access token; prefer the environment, flags show up in `ps` [env: WABLOCK_ACCESS_TOKEN].
    #[arg(long, global = true, value_name = "TOKEN")]
    pub access_token: Option<String>,
    /// 360dialog API key; prefer the environment, flags show up in `ps` [env: WABLOCK_API_KEY].
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Base URL of the API (a proxy, a sandbox) [env: WABLOCK_BASE_URL].
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Graph API version, e.g. v25.0 (Meta only) [env: WABLOCK_API_VERSION].
    #[arg(long, global = true, value_name = "VERSION")]
    pub api_version: Option<String>,
    /// Batches in flight at once, 1 to 16 (default 4).
    #[arg(long, global = true, value_name = "N")]
    pub parallelism: Option<usize>,
    /// Users per request, 1 to 1000 (default 1000).
    #[arg(long, global = true, value_name = "N")]
    pub max_batch: Option<usize>,
    /// Seconds allowed to connect and to read each response (default 10 and 30).
    #[arg(long, global = true, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Retries after the first attempt; 0 disables retries (default 3).
    #[arg(long, global = true, value_name = "N")]
    pub retries: Option<u32>,
    /// Print the canonical JSON of the result (same as --format json).
    #[arg(long, global = true)]
    pub json: bool,
    /// Output format; csv is for list only.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
}

impl Global {
    /// True when any flag that chooses an API or credentials is set.
    pub fn has_connection_flags(&self) -> bool {
        self.provider.is_some()
            || self.phone_number_id.is_some()
            || self.access_token.is_some()
            || self.api_key.is_some()
            || self.base_url.is_some()
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
    Block(UsersArgs),
    /// Unblock users.
    Unblock(UsersArgs),
    /// List blocked users: one page, or every page with --all.
    List {
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
    },
    /// Run the local sandbox of the API.
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
    /// Walk through the API's behaviour on an embedded sandbox.
    Demo,
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
    },
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
}
