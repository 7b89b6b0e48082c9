use clap::Parser;
use server::cli::{AdminCommand, Cli, Command};
use server::config::Config;
use std::process::ExitCode;

// A page view makes and frees thousands of small strings (views, rows, JSON) across threads;
// glibc's malloc spent about a quarter of the token page's CPU time (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // One JSON object per line for log shippers; the request span's id is in each.
    if std::env::var("GITPAT_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gitpat: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::run_server(&Config::from_env()?, None).await?,
        #[cfg(feature = "demo")]
        Command::Demo { force } => server::demo::run(&Config::from_env()?, force).await?,
        #[cfg(feature = "demo")]
        Command::Emulator => server::demo::run_emulator(&Config::from_env()?).await?,
        Command::Credential { operation } => return Ok(credential(&operation).await),
        Command::Admin(cmd) if matches!(*cmd, AdminCommand::Copy { .. }) => {
            let AdminCommand::Copy { from, to } = *cmd else {
                unreachable!()
            };
            let msg = server::admin_commands::copy(&Config::from_env()?, &from, &to).await?;
            println!("{msg}");
        }
        Command::Admin(cmd) => {
            let state = server::build_state(&Config::from_env()?).await?;
            let msg = server::admin_commands::run(&state, *cmd, std::io::stdin().lock()).await?;
            println!("{msg}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The git credential helper: git's protocol on stdout and nothing else; no server config needed.
async fn credential(operation: &str) -> ExitCode {
    match server::git_helper::run(operation, std::io::stdin().lock()).await {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("gitpat: {reason}");
            ExitCode::from(1)
        }
    }
}
