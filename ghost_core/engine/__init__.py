"""Shot orchestration: `track` analyses a whole shot once, `render` turns any frame range into
swapped plates and mattes from that analysis (so chunks equal a whole render), `demo` shows it."""
