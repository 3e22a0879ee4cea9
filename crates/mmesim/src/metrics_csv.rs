//! The tidy per-minute metrics CSV of `mmesim run --metrics`.

use crate::Error;
use mmesim_core::{Dimension, MetricRow, MinuteSink, RunResult, SinkError};
use std::fmt::{Display, Write as _};
use std::io::Write;

/// The run's CloudWatch-style rows as CSV: header
/// `minute,time_s,metric,dimension,value,sample_count`; the dimension is
/// `endpoint`, `zone=NAME` or `instance=ID`. Rows come minute by minute,
/// instances first, then zones, then the endpoint. Values are rounded to
/// 12 significant digits ([`clean`](crate::fmt::clean): no binary noise)
/// and written in their shortest form, so the same run gives the same
/// bytes. Written with the `csv` crate: a field is quoted only when it must
/// be (a zone name with a comma, a quote or a line break). The same bytes
/// as [`MetricsCsvWriter`] writes while the run goes.
pub fn metrics_csv(result: &RunResult) -> String {
    let zones: Vec<String> = result.report.zones.iter().map(|z| z.name.clone()).collect();
    let mut w = MetricsCsvWriter::new(Vec::with_capacity(64 * result.metrics.len() + 64), "metrics");
    // Writing to memory cannot fail.
    let _ = w.begin(&zones);
    let _ = w.rows(&result.metrics);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes the tidy CSV of [`metrics_csv`] while the run goes: a
/// [`MinuteSink`] for [`Scenario::run_into`](crate::Scenario::run_into)
/// that writes each minute's rows as the minute closes (the header at
/// [`begin`](MinuteSink::begin)) and keeps nothing, so a file of any length
/// is written in bounded memory. Errors name `origin` (the file).
pub struct MetricsCsvWriter<W: Write> {
    w: csv::Writer<W>,
    origin: String,
    zones: Vec<String>,
    field: String,
}

impl<W: Write> MetricsCsvWriter<W> {
    /// A writer into `out`; `origin` names it in errors.
    pub fn new(out: W, origin: impl Into<String>) -> Self {
        let w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Necessary).from_writer(out);
        MetricsCsvWriter { w, origin: origin.into(), zones: Vec::new(), field: String::new() }
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> Result<W, Error> {
        let origin = self.origin;
        self.w.into_inner().map_err(|e| Error::io_in(origin, format!("cannot write: {}", e.error())))
    }

    fn err(&self, e: csv::Error) -> SinkError {
        Box::new(Error::io_in(self.origin.clone(), format!("cannot write: {e}")))
    }

    fn put(&mut self, v: &dyn Display) -> csv::Result<()> {
        self.field.clear();
        let _ = write!(self.field, "{v}");
        self.w.write_field(&self.field)
    }

    fn write_rows(&mut self, rows: &[MetricRow]) -> csv::Result<()> {
        for r in rows {
            self.put(&r.minute)?;
            self.put(&(r.minute * 60))?;
            self.put(&r.metric)?;
            match r.dimension {
                Dimension::Endpoint => self.put(&"endpoint")?,
                Dimension::Zone(z) => {
                    let name = self.zones.get(z as usize).map_or("?", String::as_str);
                    self.field.clear();
                    let _ = write!(self.field, "zone={name}");
                    self.w.write_field(&self.field)?;
                }
                Dimension::Instance(i) => self.put(&format_args!("instance={i}"))?,
            }
            self.put(&crate::fmt::Clean(r.value))?;
            self.put(&r.samples)?;
            self.w.write_record(None::<&[u8]>)?;
        }
        Ok(())
    }
}

impl<W: Write> MinuteSink for MetricsCsvWriter<W> {
    fn begin(&mut self, zones: &[String]) -> Result<(), SinkError> {
        self.zones = zones.to_vec();
        self.w
            .write_record(["minute", "time_s", "metric", "dimension", "value", "sample_count"])
            .map_err(|e| self.err(e))
    }

    fn rows(&mut self, rows: &[MetricRow]) -> Result<(), SinkError> {
        self.write_rows(rows).map_err(|e| self.err(e))
    }

    fn end(&mut self) -> Result<(), SinkError> {
        self.w.flush().map_err(|e| self.err(e.into()))
    }
}
