//! The users of `block`/`unblock`: arguments, or a file (`-` for stdin) of one user per line,
//! or one column of a CSV file (`--column NAME|N`).

use std::io::Read;

use crate::output::printable;
use crate::{Exit, usage};

/// Reads the users: `args`, or `from_file` (one per line, blank lines and `#` comments
/// skipped), or with `column` the given column of `from_file` read as CSV.
pub fn read_users(
    args: &[String],
    from_file: Option<&str>,
    column: Option<&str>,
) -> Result<Vec<String>, Exit> {
    let Some(path) = from_file else {
        if column.is_some() {
            return Err(usage(
                "--column picks a column of a CSV file: add --from-file PATH (- for stdin)",
            ));
        }
        if args.is_empty() {
            return Err(usage(
                "no users given: pass USERS… or --from-file PATH (- for stdin)",
            ));
        }
        return Ok(args.to_vec());
    };
    let (bytes, name) = read_source(path)?;
    let users = match column {
        Some(column) => csv_column(&bytes, &name, column)?,
        None => {
            let text = String::from_utf8(bytes).map_err(|_| {
                usage(format!(
                    "cannot read users from {name}: it is not UTF-8 text"
                ))
            })?;
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        }
    };
    if users.is_empty() {
        return Err(usage(match column {
            Some(c) => format!("{name} holds no users in column {}", printable(c)),
            None => format!("{name} holds no users (one per line; # starts a comment)"),
        }));
    }
    Ok(users)
}

/// The bytes of `path` (`-`: stdin) and the name to use for it in messages.
pub fn read_source(path: &str) -> Result<(Vec<u8>, String), Exit> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| usage(format!("cannot read users from stdin: {e}")))?;
        Ok((buf, "stdin".to_string()))
    } else {
        let data = std::fs::read(path).map_err(|e| {
            usage(format!(
                "cannot read users from {}: {}",
                printable(path),
                io_reason(&e)
            ))
        })?;
        Ok((data, printable(path).into_owned()))
    }
}

/// A short reason for an I/O error on a file the user named.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => e.to_string(),
    }
}

/// The non-empty cells of one column of a CSV file (RFC 4180: quoted fields may hold commas,
/// quotes and line breaks). The first row is the header. `column` is a header name, or a
/// position counting from 1; with a position, a first row whose cell is a valid user is
/// data, not a header (files without a header work too).
fn csv_column(bytes: &[u8], name: &str, column: &str) -> Result<Vec<String>, Exit> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| {
            usage(format!(
                "cannot read {name} as CSV (row {}): {}",
                i + 1,
                csv_reason(&e)
            ))
        })?;
        rows.push(row);
    }
    let Some(header) = rows.first() else {
        return Err(usage(format!("{name} is empty: no CSV header, no users")));
    };
    let header: Vec<String> = header.iter().map(str::to_string).collect();
    let listed = header
        .iter()
        .map(|h| printable(h).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let position = column.trim();
    let (index, skip_first) = if !position.is_empty()
        && position.bytes().all(|b| b.is_ascii_digit())
    {
        let n: usize = position.parse().unwrap_or(0);
        if n == 0 || n > header.len() {
            return Err(usage(format!(
                "--column {}: {name} has {} column(s) (counting from 1): {listed}",
                printable(position),
                header.len()
            )));
        }
        let first_is_user = header
            .get(n - 1)
            .is_some_and(|cell| wablock::users::normalize_user(cell).is_ok());
        (n - 1, !first_is_user)
    } else {
        match header.iter().position(|h| h == column.trim()) {
            Some(i) => (i, true),
            None => {
                return Err(usage(format!(
                    "--column {}: no such column in the header of {name}; its columns are: {listed} \
                     (or give a position, counting from 1)",
                    printable(column)
                )));
            }
        }
    };
    Ok(rows
        .iter()
        .skip(usize::from(skip_first))
        .filter_map(|row| row.get(index))
        .filter(|cell| !cell.is_empty())
        .map(str::to_string)
        .collect())
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".into(),
        _ => e.to_string(),
    }
}
