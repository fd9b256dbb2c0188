"""The quality-bar benchmark (PRODUCT.md section 8): `python -m tests.benchmarks [--size small|large]`.

Nothing here is collected by pytest (no `test_*` modules) and nothing runs at import:
the work starts in `runner.main`, called from `__main__`.
"""
