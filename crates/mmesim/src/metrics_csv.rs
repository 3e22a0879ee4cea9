//! The tidy per-minute metrics CSV of `mmesim run --metrics`.

use mmesim_core::{Dimension, RunResult};
use std::fmt::{Display, Write};

/// The run's CloudWatch-style rows as CSV: header
/// `minute,time_s,metric,dimension,value,sample_count`; the dimension is
/// `endpoint`, `zone=NAME` or `instance=ID`. Rows come minute by minute,
/// instances first, then zones, then the endpoint. Values are written with
/// Rust's shortest round-trip formatting, so the same run gives the same
/// bytes. Written with the `csv` crate: a field is quoted only when it must
/// be (a zone name with a comma or a quote).
pub fn metrics_csv(result: &RunResult) -> String {
    let zones: Vec<&str> = result.report.zones.iter().map(|z| z.name.as_str()).collect();
    let mut w = csv_writer(64 * result.metrics.len() + 64);
    let mut field = String::new();
    let mut put = |w: &mut csv::Writer<Vec<u8>>, v: &dyn Display| {
        field.clear();
        let _ = write!(field, "{v}");
        w.write_field(&field)
    };
    let mut write = || -> csv::Result<()> {
        w.write_record(["minute", "time_s", "metric", "dimension", "value", "sample_count"])?;
        for r in &result.metrics {
            put(&mut w, &r.minute)?;
            put(&mut w, &(r.minute * 60))?;
            put(&mut w, &r.metric)?;
            match r.dimension {
                Dimension::Endpoint => put(&mut w, &"endpoint")?,
                Dimension::Zone(z) => {
                    put(&mut w, &format_args!("zone={}", zones.get(z as usize).copied().unwrap_or("?")))?
                }
                Dimension::Instance(i) => put(&mut w, &format_args!("instance={i}"))?,
            }
            put(&mut w, &r.value)?;
            put(&mut w, &r.samples)?;
            w.write_record(None::<&[u8]>)?;
        }
        Ok(())
    };
    // Writing to memory cannot fail.
    let _ = write();
    csv_text(w)
}

/// A CSV writer into memory, as the tables of this crate write them: `,`
/// between fields, `\n` after each record, quotes only around a field that
/// needs them (one holding a comma, a quote or a line break).
pub(crate) fn csv_writer(capacity: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Necessary).from_writer(Vec::with_capacity(capacity))
}

/// The text `w` wrote.
pub(crate) fn csv_text(w: csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
