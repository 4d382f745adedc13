//! The paged KV cache of one instance (MODEL.md §13, PagedAttention): a
//! pool of `num_blocks` blocks of `block_size` tokens. A sequence holding `c`
//! tokens of context holds `⌈c/block_size⌉` blocks; only the count matters
//! here (no block table, no prefix sharing).

/// An instance's KV blocks: how many there are and how many are free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockPool {
    block_size: u32,
    total: u64,
    free: u64,
}

impl BlockPool {
    /// A pool of `total` free blocks of `block_size` (≥ 1) tokens.
    pub fn new(block_size: u32, total: u64) -> BlockPool {
        BlockPool {
            block_size,
            total,
            free: total,
        }
    }

    /// Blocks that hold `tokens` tokens: `⌈tokens/block_size⌉`.
    pub fn blocks_for(&self, tokens: u64) -> u64 {
        tokens.div_ceil(self.block_size as u64)
    }

    /// Blocks in the pool.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Free blocks.
    pub fn free(&self) -> u64 {
        self.free
    }

    /// Blocks in use.
    pub fn used(&self) -> u64 {
        self.total - self.free
    }

    /// Takes `n` blocks if that many are free; `false` (and nothing taken) otherwise.
    pub fn allocate(&mut self, n: u64) -> bool {
        if n <= self.free {
            self.free -= n;
            true
        } else {
            false
        }
    }

    /// Returns `n` blocks to the pool.
    ///
    /// # Panics
    /// If more blocks come back than are in use (a bug in the caller).
    pub fn release(&mut self, n: u64) {
        assert!(self.free + n <= self.total, "KV blocks released twice");
        self.free += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_by_hand() {
        let mut p = BlockPool::new(16, 10);
        // 0 tokens: 0 blocks; 1…16: 1; 17: 2; 160: 10.
        assert_eq!(
            [0, 1, 16, 17, 160].map(|t| p.blocks_for(t)),
            [0, 1, 1, 2, 10]
        );
        assert!(p.allocate(7));
        assert!(!p.allocate(4)); // 3 free
        assert_eq!((p.used(), p.free()), (7, 3));
        p.release(7);
        assert_eq!(p.free(), 10);
    }
}
