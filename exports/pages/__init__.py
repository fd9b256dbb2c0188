"""Meeting pages in and out: reading a wiki page (`parser`), planning its import (`plan`), rendering one (`render`)."""
