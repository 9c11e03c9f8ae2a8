//! Tables and text for a terminal narrower than they are: cells wrapped at spaces, columns in
//! blocks, prose lines wrapped (`render` of [`super::table`] on a terminal; files and pipes get
//! every row on one line).

use super::table::{human_in_column, Cell, Table};

/// The width of the terminal standard output is (`None` when it is not a terminal: a file or
/// a pipe gets every table whole, one line per row).
pub fn output_width() -> Option<usize> {
    let term = console::Term::stdout();
    if !term.is_term() {
        return None;
    }
    term.size_checked()
        .map(|(_, cols)| cols as usize)
        .filter(|&c| c >= 40)
}

/// `table` laid out within `width` columns when its one-line-per-row layout is wider: text
/// columns are narrowed (widest first, not below their longest word) and their cells wrapped at
/// spaces onto more lines; if that is not enough, the columns are split into blocks that fit,
/// one under the other, each repeating the first column (the row's name). Numbers are never
/// wrapped. `None` when the table fits as it is.
pub(super) fn wrapped(table: &Table, fractions: &[&str], width: usize) -> Option<String> {
    let n = table.columns.len();
    let cells: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&table.columns)
                .map(|(v, c)| human_in_column(c, v, fractions.contains(&c.as_str())))
                .collect()
        })
        .collect();
    let len = |s: &str| s.chars().count();
    let numeric: Vec<bool> = (0..n)
        .map(|c| {
            table.rows.iter().any(|r| r[c].is_number())
                && table
                    .rows
                    .iter()
                    .all(|r| r[c].is_number() || r[c] == Cell::Null)
        })
        .collect();
    let column_texts = |c: usize| {
        cells
            .iter()
            .map(move |r| r[c].as_str())
            .chain(std::iter::once(table.columns[c].as_str()))
    };
    let mut widths: Vec<usize> = (0..n)
        .map(|c| column_texts(c).map(len).max().unwrap_or(0))
        .collect();
    let total = |cols: &[usize], w: &[usize]| {
        cols.iter().map(|&c| w[c]).sum::<usize>() + 2 * cols.len().saturating_sub(1)
    };
    let all: Vec<usize> = (0..n).collect();
    if total(&all, &widths) <= width {
        return None;
    }
    // Narrowest each column gets by wrapping at spaces: its longest word.
    let floor: Vec<usize> = (0..n)
        .map(|c| {
            if numeric[c] {
                widths[c]
            } else {
                column_texts(c)
                    .flat_map(|t| t.split(' '))
                    .map(len)
                    .max()
                    .unwrap_or(1)
                    .max(1)
            }
        })
        .collect();
    narrow(&all, &mut widths, &floor, &total, width);
    // Blocks of columns that fit, each with the first column.
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut block = vec![0];
    for c in 1..n {
        let mut wider = block.clone();
        wider.push(c);
        if block.len() > 1 && total(&wider, &widths) > width {
            blocks.push(std::mem::replace(&mut block, vec![0, c]));
        } else {
            block = wider;
        }
    }
    blocks.push(block);
    let mut out = String::new();
    for (i, cols) in blocks.iter().enumerate() {
        let mut w = widths.clone();
        // A block still too wide cuts words (down to one character a column).
        let ones = vec![1; n];
        narrow(cols, &mut w, &ones, &total, width);
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&block_text(&table.columns, &cells, cols, &w, &numeric));
    }
    Some(out)
}

/// `text` for a screen `width` columns wide (`None`: as it is): a line wider than that —
/// prose, not a table, which lays itself out — is wrapped at spaces, continued with two more
/// spaces of indent than it had.
pub fn fit_lines(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if body.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        let indent = body.len() - body.trim_start().len();
        let lines = wrap_text(body.trim_start(), width.saturating_sub(indent + 2).max(20));
        for (i, l) in lines.iter().enumerate() {
            let pad = if i == 0 { indent } else { indent + 2 };
            out.push_str(&" ".repeat(pad));
            out.push_str(l);
            out.push('\n');
        }
        if end.is_empty() {
            out.pop();
        }
    }
    out
}

/// Narrows the text columns of `cols` (widest first, not below `floor`) until they fit `width`.
fn narrow(
    cols: &[usize],
    widths: &mut [usize],
    floor: &[usize],
    total: &dyn Fn(&[usize], &[usize]) -> usize,
    width: usize,
) {
    while total(cols, widths) > width {
        let widest = cols
            .iter()
            .copied()
            .filter(|&c| widths[c] > floor[c])
            .max_by_key(|&c| (widths[c], std::cmp::Reverse(c)));
        match widest {
            Some(c) => widths[c] -= 1,
            None => break,
        }
    }
}

/// Columns `cols` of a table (header, rule, rows), each cell wrapped to its column's width.
fn block_text(
    header: &[String],
    cells: &[Vec<String>],
    cols: &[usize],
    widths: &[usize],
    numeric: &[bool],
) -> String {
    let mut out = String::new();
    let mut emit = |row: &[String]| {
        let wrapped: Vec<Vec<String>> = cols
            .iter()
            .map(|&c| wrap_text(&row[c], widths[c]))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            let parts: Vec<String> = cols
                .iter()
                .zip(&wrapped)
                .map(|(&c, lines)| {
                    let text = lines.get(line).map_or("", String::as_str);
                    let pad = widths[c].saturating_sub(text.chars().count());
                    if numeric[c] {
                        format!("{}{text}", " ".repeat(pad))
                    } else {
                        format!("{text}{}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        }
    };
    emit(header);
    let rule: Vec<String> = cols.iter().map(|&c| "-".repeat(widths[c])).collect();
    let rule = rule.join("  ");
    // The rule goes under the header's (possibly several) lines.
    for r in cells {
        emit(r);
    }
    let header_lines = cols
        .iter()
        .map(|&c| wrap_text(&header[c], widths[c]).len())
        .max()
        .unwrap_or(1);
    let mut lines: Vec<&str> = out.lines().collect();
    lines.insert(header_lines, &rule);
    let mut joined = lines.join("\n");
    joined.push('\n');
    joined
}

/// `text` in lines of at most `width` characters, broken at spaces (a word longer than the
/// width is cut).
fn wrap_text(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let sep = usize::from(used > 0);
            if used + sep + word.len() <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word wider than the column: cut it.
            let rest = word.split_off(width);
            line.extend(word.iter());
            lines.push(std::mem::take(&mut line));
            word = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}
