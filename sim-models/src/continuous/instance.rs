//! One GPU instance of `T` tensor-parallel GPUs (MODEL.md §13): the
//! requests routed to it, running or waiting, and its KV blocks. What runs
//! in each iteration is decided by [`super::scheduler`]; this file holds the
//! state and its bookkeeping.

use std::collections::BTreeSet;

use super::kv_blocks::BlockPool;
use crate::request::Request;
use crate::scenario::WaitingOrder;

/// A request on an instance, from routing until it finishes or is dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq {
    /// The request.
    pub req: Request,
    /// Instant its upload completed (it joined the instance), ns.
    pub uploaded_ns: u64,
    /// Tokens whose KV is computed (vLLM's `num_computed_tokens`): prefill
    /// progress, then prompt + emitted − 1 while decoding; 0 after a preemption.
    pub computed: u32,
    /// Output tokens emitted so far (kept across preemptions: the user has them).
    pub emitted: u32,
    /// KV blocks it holds.
    pub blocks: u64,
    /// Whether it has ever been admitted (its first admission is its waiting time).
    pub admitted_once: bool,
    /// Instant of its first admission, ns (set by the station, for the per-request log).
    pub admitted_ns: Option<u64>,
    /// Times it was preempted.
    pub preemptions: u32,
    /// Its downlink flow, once it has emitted (streamed radio delivery).
    pub down: Option<u32>,
    /// Instant its first output token was emitted on the GPU, ns.
    pub first_token_ns: Option<u64>,
    waiting: Option<WaitKey>,
}

impl Seq {
    /// A request that has just joined its instance, at `now_ns`.
    pub fn new(req: Request, now_ns: u64) -> Seq {
        Seq {
            req,
            uploaded_ns: now_ns,
            computed: 0,
            emitted: 0,
            blocks: 0,
            admitted_once: false,
            admitted_ns: None,
            preemptions: 0,
            down: None,
            first_token_ns: None,
            waiting: None,
        }
    }

    /// Whether it is in its instance's waiting queue.
    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// vLLM's `num_tokens`: prompt plus the output tokens emitted so far.
    pub fn num_tokens(&self) -> u32 {
        self.req.prompt + self.emitted
    }
}

/// A waiting request's place in the queue: class (0: preempted, at the
/// head; 1: the policy's order), key, request id, slot.
type WaitKey = (u8, u64, u64, u32);

/// The state of one instance.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Its KV blocks.
    pub blocks: BlockPool,
    /// Running requests' slots, in admission order.
    pub running: Vec<u32>,
    /// The batch of the iteration in progress: `(slot, q)` pairs; empty when idle.
    pub batch: Vec<(u32, u32)>,
    /// Whether an iteration is in progress.
    pub busy: bool,
    /// Instant the last iteration ended (or 0), ns.
    pub last_end_ns: u64,
    /// Busy time inside the measured window, ns.
    pub busy_ns: u64,
    /// Largest number of blocks in use at once.
    pub peak_blocks: u64,
    /// Per service class (MODEL.md §12), the blocks its requests hold; kept
    /// as blocks are taken and freed, so it always sums to `blocks.used()`
    /// (empty without classes).
    pub class_blocks: Vec<u64>,
    order: WaitingOrder,
    seqs: Vec<Option<Seq>>,
    free_slots: Vec<u32>,
    waiting: BTreeSet<WaitKey>,
    expiry: BTreeSet<(u64, u64, u32)>,
    preempt_counter: u64,
}

impl Instance {
    /// An idle instance with `blocks` and waiting order `order`.
    pub fn new(blocks: BlockPool, order: WaitingOrder) -> Instance {
        Instance {
            blocks,
            running: Vec::new(),
            batch: Vec::new(),
            busy: false,
            last_end_ns: 0,
            busy_ns: 0,
            peak_blocks: 0,
            class_blocks: Vec::new(),
            order,
            seqs: Vec::new(),
            free_slots: Vec::new(),
            waiting: BTreeSet::new(),
            expiry: BTreeSet::new(),
            preempt_counter: 0,
        }
    }

    /// The same, counting the blocks held by each of `classes` service
    /// classes apart ([`Instance::class_blocks`]; 0: none counted).
    pub fn with_classes(mut self, classes: usize) -> Instance {
        self.class_blocks = vec![0; classes];
        self
    }

    /// Books `n` blocks taken (`taken`) or freed by a request of `class`.
    fn class_book(&mut self, class: u16, n: u64, taken: bool) {
        if let Some(b) = self.class_blocks.get_mut(class as usize) {
            if taken {
                *b += n;
            } else {
                *b -= n;
            }
        }
    }

    /// Unfinished requests on the instance (running and waiting), the router's measure.
    pub fn outstanding(&self) -> usize {
        self.running.len() + self.waiting.len()
    }

    /// Waiting requests.
    pub fn waiting_len(&self) -> usize {
        self.waiting.len()
    }

    /// The request in `slot`.
    ///
    /// # Panics
    /// If the slot is empty (a bug in the caller).
    pub fn seq(&self, slot: u32) -> &Seq {
        self.seqs[slot as usize].as_ref().expect("an occupied slot")
    }

    /// The request in `slot`, mutably.
    pub fn seq_mut(&mut self, slot: u32) -> &mut Seq {
        self.seqs[slot as usize].as_mut().expect("an occupied slot")
    }

    /// Every request on the instance (for the end-of-run counts).
    pub fn seqs(&self) -> impl Iterator<Item = &Seq> {
        self.seqs.iter().flatten()
    }

    /// Puts a request that has just been routed here into the waiting queue; returns its slot.
    pub fn join(&mut self, seq: Seq) -> u32 {
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.seqs[s as usize] = Some(seq);
                s
            }
            None => {
                self.seqs.push(Some(seq));
                (self.seqs.len() - 1) as u32
            }
        };
        let s = self.seq(slot);
        let key = match self.order {
            WaitingOrder::Fcfs => s.uploaded_ns,
            WaitingOrder::Edf => s.req.deadline_ns,
        };
        self.enqueue(slot, (1, key, s.req.id, slot));
        slot
    }

    fn enqueue(&mut self, slot: u32, key: WaitKey) {
        let (id, deadline) = {
            let s = self.seq(slot);
            (s.req.id, s.req.deadline_ns)
        };
        self.waiting.insert(key);
        self.expiry.insert((deadline, id, slot));
        self.seq_mut(slot).waiting = Some(key);
    }

    /// Removes `slot` from the waiting queue (it is being admitted or dropped).
    pub fn unqueue(&mut self, slot: u32) {
        let s = self.seq_mut(slot);
        let key = s.waiting.take().expect("a waiting request");
        let exp = (s.req.deadline_ns, s.req.id, slot);
        self.waiting.remove(&key);
        self.expiry.remove(&exp);
    }

    /// The slot at the head of the waiting queue.
    pub fn waiting_head(&self) -> Option<u32> {
        self.waiting.first().map(|k| k.3)
    }

    /// The waiting request with the earliest deadline, if that deadline is `≤ now_ns`.
    pub fn expired_head(&self, now_ns: u64) -> Option<u32> {
        self.expiry
            .first()
            .filter(|(d, _, _)| *d <= now_ns)
            .map(|k| k.2)
    }

    /// Preempts the most recently admitted running request (MODEL.md §13):
    /// its blocks freed, its computed tokens lost (recompute), back to the
    /// head of the waiting queue. Returns its slot.
    ///
    /// # Panics
    /// If nothing runs (a bug in the caller).
    pub fn preempt_last(&mut self) -> u32 {
        let slot = self.running.pop().expect("a running request to preempt");
        let s = self.seq_mut(slot);
        let blocks = std::mem::take(&mut s.blocks);
        s.computed = 0;
        s.preemptions += 1;
        let (id, class) = (s.req.id, s.req.class);
        self.blocks.release(blocks);
        self.class_book(class, blocks, false);
        self.preempt_counter += 1;
        // Later preemptions go in front (vLLM's prepend): a decreasing key.
        self.enqueue(slot, (0, u64::MAX - self.preempt_counter, id, slot));
        slot
    }

    /// Grows `slot`'s blocks to hold `tokens` tokens; `false` if the pool is short.
    pub fn grow(&mut self, slot: u32, tokens: u64) -> bool {
        let need = self
            .blocks
            .blocks_for(tokens)
            .saturating_sub(self.seq(slot).blocks);
        if !self.blocks.allocate(need) {
            return false;
        }
        let s = self.seq_mut(slot);
        s.blocks += need;
        let class = s.req.class;
        self.class_book(class, need, true);
        self.peak_blocks = self.peak_blocks.max(self.blocks.used());
        true
    }

    /// Removes a request from the instance (finished or dropped), freeing its
    /// blocks and its slot; it must not be waiting (see [`Instance::unqueue`]).
    pub fn remove(&mut self, slot: u32) -> Seq {
        if let Some(i) = self.running.iter().position(|&s| s == slot) {
            self.running.remove(i);
        }
        let s = self.seqs[slot as usize].take().expect("an occupied slot");
        debug_assert!(s.waiting.is_none());
        self.blocks.release(s.blocks);
        self.class_book(s.req.class, s.blocks, false);
        self.free_slots.push(slot);
        s
    }
}
