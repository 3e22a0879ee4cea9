//! Every routing policy, on random fleets: a decision is an accepting
//! instance, or `Reject(NoHealthyInstance)` exactly when none accepts.

use mmesim_core::{
    Bytes, ClusterView, DiskState, FleetIndex, InstanceId, InstanceStatus, MemState, ModelCopy, ModelId, RejectReason,
    RouteDecision, ZoneId,
};
use mmesim_engine::SimTime;
use mmesim_routing::RoutingPolicy;
use proptest::prelude::*;

const MODELS: usize = 5;
const REQUESTS: u32 = 300;

/// (healthy, draining, outstanding, serving, queued_for_slot, slots, free, lru)
type Inst = (bool, bool, u32, u32, u32, u32, u64, Option<u64>);

fn instance() -> impl Strategy<Value = Inst> {
    (
        prop::bool::weighted(0.75),
        prop::bool::weighted(0.2),
        0u32..40,
        0u32..40,
        0u32..40,
        1u32..8,
        0u64..=100,
        prop::option::of(0u64..1000),
    )
}

fn mem_state() -> impl Strategy<Value = MemState> {
    prop::sample::select(vec![
        MemState::Absent,
        MemState::Pending,
        MemState::Loading,
        MemState::Loaded,
        MemState::Unloading,
    ])
}

fn disk_state() -> impl Strategy<Value = DiskState> {
    prop::sample::select(vec![DiskState::Absent, DiskState::Pending, DiskState::Downloading, DiskState::Present])
}

fn build(insts: &[Inst]) -> Vec<InstanceStatus> {
    insts
        .iter()
        .enumerate()
        .map(|(i, &(healthy, draining, outstanding, serving, queued, slots, free, lru))| {
            let serving = serving.min(outstanding).min(slots);
            let queued = queued.min(outstanding - serving);
            InstanceStatus {
                id: InstanceId(i as u32),
                zone: ZoneId((i % 3) as u16),
                healthy,
                draining,
                outstanding,
                serving,
                queued_for_slot: queued,
                slots,
                memory_capacity: Bytes(100),
                memory_free: Bytes(free),
                loaded_models: lru.is_some() as u32,
                lru_last_used: lru.map(SimTime::from_secs),
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn decisions_are_accepting_or_no_healthy_rejections(
        insts in prop::collection::vec(instance(), 1..=20),
        raw_copies in prop::collection::vec(
            prop::collection::vec((any::<prop::sample::Index>(), mem_state(), disk_state()), 0..8),
            MODELS,
        ),
        model_memory in prop::collection::vec(1u64..=120, MODELS),
        seed in any::<u64>(),
    ) {
        let statuses = build(&insts);
        let copies: Vec<Vec<ModelCopy>> = raw_copies
            .iter()
            .map(|cs| {
                let mut out: Vec<ModelCopy> = Vec::new();
                for (ix, memory, disk) in cs {
                    let instance = InstanceId(ix.index(statuses.len()) as u32);
                    if out.iter().all(|c| c.instance != instance) {
                        out.push(ModelCopy { instance, memory: *memory, disk: *disk });
                    }
                }
                out
            })
            .collect();
        let model_memory: Vec<Bytes> = model_memory.into_iter().map(Bytes).collect();
        let fleet = FleetIndex::from_statuses(&statuses);
        let view = ClusterView::new(&statuses, &copies, &model_memory, &fleet, SimTime::from_secs(2000));
        let any_accepts = statuses.iter().any(|s| s.accepts());

        let all = RoutingPolicy::all();
        prop_assert_eq!(all.len(), RoutingPolicy::NAMES.len());
        for policy in all {
            let mut router = policy.build(seed);
            prop_assert_eq!(router.name(), policy.name());
            for k in 0..REQUESTS {
                let model = ModelId(k % MODELS as u32);
                match router.route(model, &view) {
                    RouteDecision::To(i) => {
                        prop_assert!(i.index() < statuses.len(), "{}: unknown instance {}", policy.name(), i);
                        prop_assert!(
                            view.instance(i).accepts(),
                            "{}: request {} for {} sent to non-accepting {:?}",
                            policy.name(), k, model, view.instance(i)
                        );
                    }
                    RouteDecision::Reject(RejectReason::NoHealthyInstance) => {
                        prop_assert!(!any_accepts, "{}: rejected with an accepting instance", policy.name());
                    }
                    d => prop_assert!(false, "{}: unexpected {:?}", policy.name(), d),
                }
            }
        }
    }
}
