"""Offline quality metrics of decoded video against its source: PSNR, MS-SSIM, LPIPS, VMAF."""
from gvcodec.metrics.evaluate import METRICS, check_aligned, evaluate, lpips, ms_ssim, psnr_rgb, psnr_y
from gvcodec.metrics.vmaf import vmaf, vmaf_files

__all__ = [
    "METRICS",
    "check_aligned",
    "evaluate",
    "lpips",
    "ms_ssim",
    "psnr_rgb",
    "psnr_y",
    "vmaf",
    "vmaf_files",
]
