//! Counts the bytes the process has allocated, so a script's memory bound is one atomic load
//! per operation (never a walk over its containers, which made each `push` cost grow with the
//! array). The binary installs [`Counting`] around mimalloc as its global allocator; an embedder
//! that does not gets no memory bound (`allocated()` stays 0). Each allocation counts the size
//! the allocator really sets aside for it ([`SizeClass`]), not the size asked for: a script
//! building a map of small entries held 20% more than it was counted for.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

/// The bytes an allocator sets aside for a request of `size` bytes (its size class). A pure
/// function of the size, so an allocation and its release count the same.
pub trait SizeClass {
    fn class(&self, size: usize) -> usize {
        size
    }
}

impl SizeClass for System {}

/// An allocator (the system's unless another is given), counting live bytes.
pub struct Counting<A = System>(pub A);

// SAFETY: every call is forwarded to the inner allocator unchanged; the counter only observes
// sizes.
unsafe impl<A: GlobalAlloc + SizeClass> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc(layout);
        if !p.is_null() {
            ALLOCATED.fetch_add(self.0.class(layout.size()), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.0.dealloc(ptr, layout);
        ALLOCATED.fetch_sub(self.0.class(layout.size()), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc_zeroed(layout);
        if !p.is_null() {
            ALLOCATED.fetch_add(self.0.class(layout.size()), Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = self.0.realloc(ptr, layout, new_size);
        if !p.is_null() {
            ALLOCATED.fetch_sub(self.0.class(layout.size()), Ordering::Relaxed);
            ALLOCATED.fetch_add(self.0.class(new_size), Ordering::Relaxed);
        }
        p
    }
}

/// Bytes allocated and not yet freed (0 when [`Counting`] is not the global allocator).
pub fn allocated() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}
