//! Instance types and the built-in catalog.
//!
//! Every figure that AWS publishes is taken from its documentation (the
//! user guide, docs/guide.md §4, lists each source): vCPUs, memory, GPU,
//! instance storage and network bandwidth from the EC2 instance-type
//! pages, EBS throughput from the EBS-optimized table, the gp2 volume rule
//! from the EBS volume-type page, and the per-connection S3 rate from the
//! S3 performance guidelines. The usable GPU memory is what `nvidia-smi`
//! reports on such an instance. Everything else is an assumption, named as
//! such in the guide: the EBS volume size (100 GiB), the NVMe read rate
//! (2,000 MB/s), the reserved memory, the GPU slots, the number of S3
//! connections per download (10, boto3's default) and the prices
//! (approximate, unverified SageMaker list prices, US East, USD per hour).
//! A scenario can override any of them with an `[[instance_types]]` entry
//! of the same name.
//!
//! Throughput model: a load reads its artifact from the disk tier. On
//! EBS-backed types the endpoint's ML storage volume is gp2 (the only type
//! SageMaker supports), read at the smaller of the gp2 limit for its size
//! ([`gp2_read_bytes_per_s`]) and the instance's *burst* EBS throughput:
//! loads are short, intermittent reads, well within the published burst
//! window (30 minutes at least once every 24 hours). Downloads from S3 move
//! over [`download_streams`](InstanceType::download_streams) connections
//! of at most [`s3_stream_bytes_per_s`](InstanceType::s3_stream_bytes_per_s)
//! each; all downloads of an instance together get at most
//! [`download_bytes_per_s`](InstanceType::download_bytes_per_s), the
//! instance's published *baseline* network bandwidth.

use crate::{Bytes, ConfigError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kind of an instance's storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// A network-attached EBS volume.
    Ebs,
    /// Local NVMe instance storage.
    Nvme,
}

/// The disk tier's medium.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Storage {
    /// EBS or NVMe.
    pub kind: StorageKind,
    /// Capacity of the disk tier.
    pub size: Bytes,
    /// Sequential read throughput, bytes per second (drives load time).
    pub read_bytes_per_s: f64,
}

/// An accelerator: when present, the memory tier is the GPU's memory and
/// the inference slots are the GPU's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gpu {
    /// Number of GPUs (the catalog's types have 1).
    pub count: u32,
    /// GPU memory, all GPUs together.
    pub memory: Bytes,
    /// Concurrent inferences the GPU(s) run.
    pub slots: u32,
}

/// An instance type: data, from the catalog or a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceType {
    /// Name, e.g. `ml.m5.xlarge`.
    pub name: String,
    /// vCPUs: inference slots on CPU types, and the default limit on
    /// concurrent downloads and loads.
    pub vcpus: u32,
    /// Speed of one vCPU relative to the reference (1.0): service times
    /// and load overheads are divided by it on this type.
    pub cpu_speed: f64,
    /// RAM.
    pub memory: Bytes,
    /// RAM kept for the OS and the serving container (not usable by models).
    pub reserved_memory: Bytes,
    /// RAM each loaded model costs beyond its own footprint: the serving
    /// container's per-model worker process and runtime (on GPU types, in
    /// host memory; the GPU tier holds the footprint only).
    pub model_overhead: Bytes,
    /// Share of RAM in use (reserved + loaded models) at which the serving
    /// container unloads models to make room, in (0, 1]: the memory tier
    /// of a CPU type is `memory_watermark × memory − reserved_memory`.
    pub memory_watermark: f64,
    /// Optional GPU.
    pub gpu: Option<Gpu>,
    /// Disk tier.
    pub storage: Storage,
    /// Download bandwidth from the model store, bytes per second: all
    /// downloads of the instance together (by default the network
    /// baseline).
    pub download_bytes_per_s: f64,
    /// Most bytes per second one S3 connection moves (S3 guidelines:
    /// 85–90 MB/s per concurrent request; the catalog uses 87.5 MB/s).
    pub s3_stream_bytes_per_s: f64,
    /// S3 connections (concurrent byte-range requests) one download uses:
    /// a single download moves at most `download_streams ×
    /// s3_stream_bytes_per_s`. 0: no per-download limit (a download may
    /// take all of `download_bytes_per_s`).
    pub download_streams: u32,
    /// Network bandwidth request and response payloads cross, bytes per
    /// second (the published baseline bandwidth).
    pub network_bytes_per_s: f64,
    /// Published burst ("up to") network bandwidth, bytes per second, or
    /// the baseline where none is published. Informational: the
    /// simulation uses the baseline (bursts are best effort, on credits).
    pub network_burst_bytes_per_s: f64,
    /// Hourly price in USD.
    pub price_per_hour: f64,
}

impl InstanceType {
    /// Capacity of the memory tier: GPU memory on GPU types, otherwise the
    /// RAM below the unloading watermark minus the reserved part.
    pub fn model_memory(&self) -> Bytes {
        match self.gpu {
            Some(g) => g.memory,
            None => Bytes(self.watermark_bytes().saturating_sub(self.reserved_memory.0)),
        }
    }

    /// RAM in use at which the container starts unloading.
    fn watermark_bytes(&self) -> u64 {
        if self.memory_watermark >= 1.0 {
            self.memory.0
        } else {
            (self.memory.0 as f64 * self.memory_watermark) as u64
        }
    }

    /// What a loaded model costs in the memory tier: its footprint, plus
    /// the container's per-model overhead on CPU types (on GPU types the
    /// overhead is host memory, outside the GPU tier).
    pub fn tier_footprint(&self, model_memory: Bytes) -> Bytes {
        match self.gpu {
            Some(_) => model_memory,
            None => Bytes(model_memory.0.saturating_add(self.model_overhead.0)),
        }
    }

    /// Most bytes per second a single download moves: its S3 connections
    /// together, `download_streams × s3_stream_bytes_per_s`. Concurrent
    /// downloads also share `download_bytes_per_s`. Infinite when
    /// `download_streams` is 0.
    pub fn download_cap_bytes_per_s(&self) -> f64 {
        match self.download_streams {
            0 => f64::INFINITY,
            n => n as f64 * self.s3_stream_bytes_per_s,
        }
    }

    /// Inference slots: the GPU's slots on GPU types, otherwise the vCPUs.
    pub fn slots(&self) -> u32 {
        match self.gpu {
            Some(g) => g.slots,
            None => self.vcpus,
        }
    }

    /// Checks the figures; the error names the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.vcpus == 0 {
            return Err(ConfigError::invalid("vcpus", "`vcpus` must be at least 1"));
        }
        if self.memory.0 == 0 {
            return Err(ConfigError::invalid("memory_gib", "`memory_gib` must be positive"));
        }
        if !(self.memory_watermark.is_finite() && self.memory_watermark > 0.0 && self.memory_watermark <= 1.0) {
            return Err(ConfigError::invalid(
                "memory_watermark",
                format!("`memory_watermark` must be in (0, 1], got {}", self.memory_watermark),
            ));
        }
        if self.gpu.is_none() && self.reserved_memory.0 >= self.watermark_bytes() {
            return Err(ConfigError::invalid(
                "reserved_memory_gib",
                "`reserved_memory_gib` must be less than `memory_watermark × memory_gib`",
            ));
        }
        if let Some(g) = self.gpu {
            if g.count == 0 || g.slots == 0 || g.memory.0 == 0 {
                return Err(ConfigError::invalid("gpu", "`gpu` needs count, slots and memory_gib all positive"));
            }
        }
        if self.storage.size.0 == 0 {
            return Err(ConfigError::invalid("storage.size_gib", "`storage.size_gib` must be positive"));
        }
        for (key, bytes) in [
            ("memory_gib", Some(self.memory)),
            ("reserved_memory_gib", Some(self.reserved_memory)),
            ("gpu.memory_gib", self.gpu.map(|g| g.memory)),
            ("storage.size_gib", Some(self.storage.size)),
        ] {
            if let Some(b) = bytes.filter(|b| b.0 > MAX_INSTANCE_BYTES) {
                return Err(ConfigError::invalid(
                    key,
                    format!(
                        "`{key}` must be at most {} GiB (the endpoint's capacity, summed over up to 100,000 \
                         instances, must fit in 64 bits of bytes), got {}",
                        MAX_INSTANCE_BYTES >> 30,
                        b.as_gib()
                    ),
                ));
            }
        }
        // At least 1 kB/s: slower would make loads outlast any simulation.
        if !(self.storage.read_bytes_per_s.is_finite() && self.storage.read_bytes_per_s >= 1e3) {
            return Err(ConfigError::invalid(
                "storage.read_mb_per_s",
                "`storage.read_mb_per_s` must be at least 0.001",
            ));
        }
        if !(self.download_bytes_per_s.is_finite() && self.download_bytes_per_s >= 1e3) {
            return Err(ConfigError::invalid("download_mb_per_s", "`download_mb_per_s` must be at least 0.001"));
        }
        if !(self.network_bytes_per_s.is_finite() && self.network_bytes_per_s >= 1e3) {
            return Err(ConfigError::invalid("network_mb_per_s", "`network_mb_per_s` must be at least 0.001"));
        }
        if !(self.network_burst_bytes_per_s.is_finite() && self.network_burst_bytes_per_s >= 1e3) {
            return Err(ConfigError::invalid(
                "network_burst_mb_per_s",
                "`network_burst_mb_per_s` must be at least 0.001",
            ));
        }
        if !(self.s3_stream_bytes_per_s.is_finite() && self.s3_stream_bytes_per_s >= 1e3) {
            return Err(ConfigError::invalid("s3_stream_mb_per_s", "`s3_stream_mb_per_s` must be at least 0.001"));
        }
        if self.download_streams > MAX_DOWNLOAD_STREAMS {
            return Err(ConfigError::invalid(
                "download_streams",
                format!("`download_streams` must be between 0 (no limit) and {MAX_DOWNLOAD_STREAMS}"),
            ));
        }
        if self.vcpus > 1 << 20 || self.gpu.is_some_and(|g| g.slots > 1 << 20) {
            return Err(ConfigError::unsupported("more than 2^20 inference slots per instance are not supported"));
        }
        if !(self.cpu_speed.is_finite() && (1e-3..=1e3).contains(&self.cpu_speed)) {
            return Err(ConfigError::invalid("cpu_speed", "`cpu_speed` must be between 0.001 and 1000"));
        }
        if !(self.price_per_hour.is_finite() && (0.0..=MAX_PRICE_PER_HOUR).contains(&self.price_per_hour)) {
            return Err(ConfigError::invalid(
                "price_per_hour",
                format!("`price_per_hour` must be a number between 0 and {MAX_PRICE_PER_HOUR} (USD per hour)"),
            ));
        }
        Ok(())
    }
}

/// A set of instance types by name: the built-in ones, extended or
/// overridden by a scenario.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    types: BTreeMap<String, InstanceType>,
}

const MB: f64 = 1e6;
const MIB: f64 = 1024.0 * 1024.0;
const GBPS: f64 = 1e9 / 8.0;

/// The highest hourly price accepted, USD: far above any instance's
/// (the largest SageMaker types cost under $100 an hour), and low enough
/// that a run's cost (at most `MAX_INSTANCES` × its simulated hours × the
/// price) is a finite number.
pub const MAX_PRICE_PER_HOUR: f64 = 1e6;

/// The most memory, reserved memory, GPU memory or disk one instance type
/// may have, bytes: 100,000 GiB (≈ 98 TiB), four times the largest RAM AWS
/// sells on one instance (24 TiB) and more than the largest EBS volume
/// (64 TiB). Capacities are summed over the endpoint's instances (up to
/// 100,000) in `u64` bytes: 100,000 × 100,000 GiB ≈ 1.07 × 10^19 bytes
/// still fits, which any more would not be sure to.
pub const MAX_INSTANCE_BYTES: u64 = 100_000 << 30;

/// Most S3 connections one download may use.
pub const MAX_DOWNLOAD_STREAMS: u32 = 1 << 16;

/// The catalog's S3 connection rate, bytes per second: the middle of the
/// S3 performance guidelines' "one concurrent request for each 85–90 MB/s
/// of desired network throughput".
pub const S3_STREAM_BYTES_PER_S: f64 = 87.5 * MB;

/// The catalog's S3 connections per download: boto3's `TransferConfig`
/// default `max_concurrency` (10). An assumption: SageMaker does not
/// publish how its model downloader fetches an artifact.
pub const DEFAULT_DOWNLOAD_STREAMS: u32 = 10;

/// The catalog's EBS volume size (an assumption: no per-type default of
/// SageMaker's ML storage volume is published).
pub const DEFAULT_EBS_VOLUME_GIB: f64 = 100.0;

/// The catalog's NVMe read throughput (an assumption: AWS publishes IOPS,
/// not sequential throughput, for these instance stores).
pub const NVME_READ_BYTES_PER_S: f64 = 2000.0 * MB;

/// Most read throughput of a gp2 volume of `size`, bytes per second (EBS
/// volume types: "Volumes smaller than or equal to 170 GiB deliver a
/// maximum throughput of 128 MiB/s. Volumes larger than 170 GiB but
/// smaller than 334 GiB deliver a maximum throughput of 250 MiB/s if burst
/// credits are available. Volumes larger than or equal to 334 GiB deliver
/// 250 MiB/s regardless of burst credits."). Between 170 and 334 GiB this
/// assumes burst credits are available.
pub fn gp2_read_bytes_per_s(size: Bytes) -> f64 {
    if size.0 as f64 <= 170.0 * 1024.0 * MIB {
        128.0 * MIB
    } else {
        250.0 * MIB
    }
}

/// Disk tier of a catalog entry.
#[derive(Clone, Copy)]
enum Disk {
    /// A gp2 volume of the default size; the instance's burst (maximum)
    /// EBS throughput, MB/s, as published.
    Ebs { max_mb_per_s: f64 },
    /// Local NVMe instance storage of this many GB (10^9 bytes).
    Nvme { gb: f64 },
}

/// A catalog entry. `gpu` is the usable memory in MiB and the slots;
/// `net_gbps` the published baseline and burst bandwidth (equal where
/// there is no burst).
fn entry(
    name: &str,
    vcpus: u32,
    mem_gib: f64,
    disk: Disk,
    gpu: Option<(f64, u32)>,
    net_gbps: (f64, f64),
    price: f64,
) -> InstanceType {
    let storage = match disk {
        Disk::Nvme { gb } => {
            Storage { kind: StorageKind::Nvme, size: Bytes((gb * 1e9) as u64), read_bytes_per_s: NVME_READ_BYTES_PER_S }
        }
        Disk::Ebs { max_mb_per_s } => {
            let size = Bytes::from_gib(DEFAULT_EBS_VOLUME_GIB);
            let read = gp2_read_bytes_per_s(size).min(max_mb_per_s * MB);
            Storage { kind: StorageKind::Ebs, size, read_bytes_per_s: read }
        }
    };
    let (base, burst) = net_gbps;
    InstanceType {
        name: name.to_string(),
        vcpus,
        cpu_speed: 1.0,
        memory: Bytes::from_gib(mem_gib),
        reserved_memory: Bytes::from_gib(if mem_gib <= 8.0 { 1.0 } else { 2.0 }),
        // CPU types serve with Multi Model Server: one Python worker per
        // loaded model. GPU types serve with Triton: one process for all.
        model_overhead: if gpu.is_none() { Bytes::from_mib(MMS_WORKER_MIB) } else { Bytes::ZERO },
        memory_watermark: DEFAULT_MEMORY_WATERMARK,
        gpu: gpu.map(|(mib, slots)| Gpu { count: 1, memory: Bytes::from_mib(mib), slots }),
        storage,
        download_bytes_per_s: base * GBPS,
        s3_stream_bytes_per_s: S3_STREAM_BYTES_PER_S,
        download_streams: DEFAULT_DOWNLOAD_STREAMS,
        network_bytes_per_s: base * GBPS,
        network_burst_bytes_per_s: burst * GBPS,
        price_per_hour: price,
    }
}

/// Resident memory of one Multi Model Server Python worker with an XGBoost
/// model loaded (the per-model overhead of CPU types), MiB: measured by
/// `scripts/measure_mms_worker.py` (no published figure exists).
pub const MMS_WORKER_MIB: f64 = 155.0;
/// The share of RAM in use at which the container unloads: 1.0, as AWS
/// documents ("unloaded ... only when a container runs out of memory").
pub const DEFAULT_MEMORY_WATERMARK: f64 = 1.0;

/// Usable memory of one NVIDIA T4 (`nvidia-smi` total on ml.g4dn.2xlarge).
pub const T4_MIB: f64 = 15_109.0;
/// Usable memory of one NVIDIA A10G (`nvidia-smi` total on g5 instances).
pub const A10G_MIB: f64 = 23_028.0;

impl Catalog {
    /// The built-in catalog (see the module notes for sources and
    /// assumptions).
    pub fn builtin() -> Catalog {
        // Published EBS maximum (burst) throughput, MB/s.
        const M5: Disk = Disk::Ebs { max_mb_per_s: 593.75 };
        let nvme = |gb| Disk::Nvme { gb };
        // Slots: concurrent inferences a serving container typically runs
        // on one such GPU (an assumption).
        let t4 = Some((T4_MIB, 4));
        let a10g = Some((A10G_MIB, 4));
        let list = [
            entry("ml.m5.large", 2, 8.0, M5, None, (0.75, 10.0), 0.115),
            entry("ml.m5.xlarge", 4, 16.0, M5, None, (1.25, 10.0), 0.23),
            entry("ml.m5.2xlarge", 8, 32.0, M5, None, (2.5, 10.0), 0.461),
            entry("ml.m5.4xlarge", 16, 64.0, M5, None, (5.0, 10.0), 0.922),
            entry("ml.c5.xlarge", 4, 8.0, M5, None, (1.25, 10.0), 0.204),
            entry("ml.c5.2xlarge", 8, 16.0, M5, None, (2.5, 10.0), 0.408),
            entry("ml.r5.xlarge", 4, 32.0, M5, None, (1.25, 10.0), 0.302),
            entry("ml.r5.2xlarge", 8, 64.0, M5, None, (2.5, 10.0), 0.605),
            entry("ml.m5d.xlarge", 4, 16.0, nvme(150.0), None, (1.25, 10.0), 0.271),
            entry("ml.c5d.xlarge", 4, 8.0, nvme(100.0), None, (1.25, 10.0), 0.23),
            entry("ml.r5d.xlarge", 4, 32.0, nvme(150.0), None, (1.25, 10.0), 0.346),
            entry("ml.g4dn.xlarge", 4, 16.0, nvme(125.0), t4, (5.0, 25.0), 0.736),
            entry("ml.g4dn.2xlarge", 8, 32.0, nvme(225.0), t4, (10.0, 25.0), 0.94),
            entry("ml.g4dn.4xlarge", 16, 64.0, nvme(225.0), t4, (20.0, 25.0), 1.505),
            entry("ml.g4dn.8xlarge", 32, 128.0, nvme(900.0), t4, (50.0, 50.0), 2.72),
            entry("ml.g4dn.16xlarge", 64, 256.0, nvme(900.0), t4, (50.0, 50.0), 5.44),
            entry("ml.g5.xlarge", 4, 16.0, nvme(250.0), a10g, (2.5, 10.0), 1.408),
            entry("ml.g5.2xlarge", 8, 32.0, nvme(450.0), a10g, (5.0, 10.0), 1.515),
            entry("ml.g5.4xlarge", 16, 64.0, nvme(600.0), a10g, (10.0, 25.0), 2.03),
            entry("ml.g5.8xlarge", 32, 128.0, nvme(900.0), a10g, (25.0, 25.0), 3.06),
            entry("ml.g5.16xlarge", 64, 256.0, nvme(1900.0), a10g, (25.0, 25.0), 5.12),
        ];
        let mut c = Catalog::default();
        for t in list {
            c.insert(t);
        }
        c
    }

    /// Adds a type, replacing any of the same name.
    pub fn insert(&mut self, t: InstanceType) {
        self.types.insert(t.name.clone(), t);
    }

    /// Looks a type up by name.
    pub fn get(&self, name: &str) -> Option<&InstanceType> {
        self.types.get(name)
    }

    /// All names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    /// All types, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &InstanceType> {
        self.types.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type the brief names.
    const NAMES: [&str; 21] = [
        "ml.m5.large",
        "ml.m5.xlarge",
        "ml.m5.2xlarge",
        "ml.m5.4xlarge",
        "ml.c5.xlarge",
        "ml.c5.2xlarge",
        "ml.r5.xlarge",
        "ml.r5.2xlarge",
        "ml.m5d.xlarge",
        "ml.c5d.xlarge",
        "ml.r5d.xlarge",
        "ml.g4dn.xlarge",
        "ml.g4dn.2xlarge",
        "ml.g4dn.4xlarge",
        "ml.g4dn.8xlarge",
        "ml.g4dn.16xlarge",
        "ml.g5.xlarge",
        "ml.g5.2xlarge",
        "ml.g5.4xlarge",
        "ml.g5.8xlarge",
        "ml.g5.16xlarge",
    ];

    #[test]
    fn builtin_covers_the_brief_and_is_valid() {
        let c = Catalog::builtin();
        for name in NAMES {
            let t = c.get(name).unwrap_or_else(|| panic!("{name} missing"));
            t.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(t.network_burst_bytes_per_s >= t.network_bytes_per_s, "{name}");
            assert_eq!(t.download_bytes_per_s, t.network_bytes_per_s, "{name}");
            // The GPU types are the single-GPU ones.
            assert_eq!(t.gpu.map(|g| g.count), name.starts_with("ml.g").then_some(1), "{name}");
        }
        assert_eq!(c.names().count(), NAMES.len());
        let m5 = c.get("ml.m5.xlarge").unwrap();
        assert_eq!((m5.vcpus, m5.memory), (4, Bytes::from_gib(16.0)));
        assert_eq!(m5.model_memory(), Bytes::from_gib(14.0));
        assert_eq!(m5.slots(), 4);
        let g5 = c.get("ml.g5.xlarge").unwrap();
        assert_eq!(g5.model_memory(), Bytes::from_mib(23_028.0));
        assert_eq!(c.get("ml.r5d.xlarge").unwrap().storage.kind, StorageKind::Nvme);
    }

    /// Spot checks against the published tables (docs/guide.md §4).
    #[test]
    fn published_figures() {
        let c = Catalog::builtin();
        let g = c.get("ml.g4dn.2xlarge").unwrap();
        assert_eq!((g.vcpus, g.memory), (8, Bytes::from_gib(32.0)));
        assert_eq!(g.gpu.map(|g| g.memory), Some(Bytes::from_mib(15_109.0)));
        assert_eq!(g.storage.kind, StorageKind::Nvme);
        assert_eq!(g.storage.size, Bytes(225_000_000_000));
        assert_eq!(g.network_bytes_per_s, 10e9 / 8.0);
        assert_eq!(g.network_burst_bytes_per_s, 25e9 / 8.0);
        // m5.large: 0.75 Gbps baseline, up to 10; a 100 GiB gp2 volume
        // (128 MiB/s) under the instance's 593.75 MB/s EBS burst.
        let m = c.get("ml.m5.large").unwrap();
        assert_eq!(m.network_bytes_per_s, 93.75e6);
        assert_eq!(m.network_burst_bytes_per_s, 1.25e9);
        assert_eq!(m.storage.size, Bytes::from_gib(100.0));
        assert_eq!(m.storage.read_bytes_per_s, 128.0 * MIB);
        let g5 = c.get("ml.g5.16xlarge").unwrap();
        assert_eq!((g5.vcpus, g5.memory, g5.storage.size), (64, Bytes::from_gib(256.0), Bytes(1_900_000_000_000)));
        assert_eq!(g5.network_bytes_per_s, g5.network_burst_bytes_per_s);
        assert_eq!(g5.network_bytes_per_s, 25e9 / 8.0);
        let t = c.get("ml.g4dn.16xlarge").unwrap();
        assert_eq!((t.vcpus, t.network_bytes_per_s), (64, 50e9 / 8.0));
        // One download: 10 connections × 87.5 MB/s.
        assert_eq!(t.download_cap_bytes_per_s(), 875e6);
    }

    /// The published gp2 table: ≤ 170 GiB → 128 MiB/s; above → 250 MiB/s
    /// (with burst credits up to 334 GiB, regardless from 334 GiB).
    #[test]
    fn gp2_throughput_follows_size() {
        for (gib, mib_per_s) in [(1.0, 128.0), (100.0, 128.0), (170.0, 128.0), (171.0, 250.0), (250.0, 250.0)] {
            assert_eq!(gp2_read_bytes_per_s(Bytes::from_gib(gib)), mib_per_s * MIB, "{gib} GiB");
        }
        for gib in [334.0, 512.0, 1000.0, 16384.0] {
            assert_eq!(gp2_read_bytes_per_s(Bytes::from_gib(gib)), 250.0 * MIB, "{gib} GiB");
        }
    }

    #[test]
    fn download_settings_are_checked() {
        let base = Catalog::builtin().get("ml.m5.xlarge").unwrap().clone();
        let mut t = base.clone();
        t.download_streams = MAX_DOWNLOAD_STREAMS + 1;
        assert_eq!(t.validate().unwrap_err().field(), Some("download_streams"));
        t.download_streams = 0;
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(t.download_cap_bytes_per_s(), f64::INFINITY);
        let mut t = base.clone();
        t.s3_stream_bytes_per_s = f64::NAN;
        assert_eq!(t.validate().unwrap_err().field(), Some("s3_stream_mb_per_s"));
        let mut t = base;
        t.network_burst_bytes_per_s = 0.0;
        assert_eq!(t.validate().unwrap_err().field(), Some("network_burst_mb_per_s"));
    }

    /// A price near `f64::MAX` made `cost_usd` infinite (written `null`
    /// in the JSON report).
    #[test]
    fn a_price_whose_cost_cannot_be_finite_is_refused() {
        let mut t = Catalog::builtin().get("ml.m5.xlarge").unwrap().clone();
        t.price_per_hour = 1.7e308;
        let e = t.validate().unwrap_err();
        assert_eq!(e.field(), Some("price_per_hour"));
        assert!(e.to_string().contains("between 0 and 1000000"), "{e}");
        t.price_per_hour = MAX_PRICE_PER_HOUR;
        assert_eq!(t.validate(), Ok(()));
    }

    #[test]
    fn scenario_can_override() {
        let mut c = Catalog::builtin();
        let mut t = c.get("ml.m5.xlarge").unwrap().clone();
        t.price_per_hour = 0.2;
        c.insert(t);
        assert_eq!(c.get("ml.m5.xlarge").unwrap().price_per_hour, 0.2);
    }
}

#[cfg(test)]
mod capacity_tests {
    use super::*;

    /// Issue 13: `memory_gib = 9e9` passed, and the endpoint's memory
    /// capacity summed over 100,000 instances wrapped around 2^64; each
    /// capacity is capped so that the sum fits.
    #[test]
    fn capacities_are_capped_so_that_endpoint_sums_fit() {
        assert!((100_000u128) * (MAX_INSTANCE_BYTES as u128) <= u64::MAX as u128);
        let base = Catalog::builtin().get("ml.m5.xlarge").cloned().unwrap();
        let big = InstanceType { memory: Bytes::from_gib(9e9), ..base.clone() };
        let e = big.validate().unwrap_err();
        assert_eq!(e.field(), Some("memory_gib"));
        assert_eq!(
            e.to_string(),
            "`memory_gib` must be at most 100000 GiB (the endpoint's capacity, summed over up to 100,000 instances, \
             must fit in 64 bits of bytes), got 9000000000"
        );
        let disk = InstanceType { storage: Storage { size: Bytes::from_gib(1e6), ..base.storage }, ..base.clone() };
        assert_eq!(disk.validate().unwrap_err().field(), Some("storage.size_gib"));
        let gpu = InstanceType { gpu: Some(Gpu { count: 1, memory: Bytes::from_gib(2e5), slots: 1 }), ..base.clone() };
        assert_eq!(gpu.validate().unwrap_err().field(), Some("gpu.memory_gib"));
        let at_cap = InstanceType { memory: Bytes(MAX_INSTANCE_BYTES), ..base };
        assert!(at_cap.validate().is_ok());
        for t in Catalog::builtin().iter() {
            assert!(t.validate().is_ok(), "{}", t.name);
        }
    }
}
