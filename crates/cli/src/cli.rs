//! The command-line grammar (clap derive). Each subcommand's behaviour lives in `commands/`.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "bai", version, about = "Backend.AI notebooks from the command line", long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tell whether a URL is a Backend.AI manager API or a web UI server, and its API version.
    Detect {
        /// The address to probe, e.g. https://api.example.com or the web UI's address.
        url: String,
        /// Trust this CA certificate (PEM) in addition to the system's.
        #[arg(long, value_name = "PEM_FILE")]
        ca_cert: Option<std::path::PathBuf>,
        /// Do not verify the server's TLS certificate (unsafe; for test clusters only).
        #[arg(long)]
        insecure: bool,
    },
}
