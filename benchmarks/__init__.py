# SPDX-License-Identifier: BSD-3-Clause
"""Benchmarks comparing skgain's GAINImputer with the standard imputers."""
