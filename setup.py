"""gvcodec: a generative video codec driven by a pretrained rectified-flow video model."""
from setuptools import find_packages, setup

setup(
    name="gvcodec",
    version="0.1.0",
    description="Generative video codec: a pretrained rectified-flow video model is the codec.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["gvcodec", "gvcodec.*", "container", "container.*"]),
    # Compiles gvcodec.native._atoms (the fused CPU atom search) at install time.
    setup_requires=["cffi>=1.16"],
    cffi_modules=["gvcodec/native/build_atoms.py:ffi"],
    install_requires=[
        # The CPU build of torch is installed first (see README / .ci/run); this range accepts it.
        "torch>=2.4",
        "diffusers>=0.33",
        "accelerate>=0.30",
        "transformers>=4.56",
        "sentencepiece",
        "av>=12",
        "numpy>=1.24",
        "cffi>=1.16",
        "safetensors>=0.4",
        "construct>=2.10",
        "tqdm>=4.66",
        "pytorch-msssim>=1.0",
        "imageio-ffmpeg>=0.8.1",
        "matplotlib>=3.7",
        "Pillow>=9",
        "constriction>=0.5",
    ],
    extras_require={
        "play": ["pygame>=2.5"],
        # gvc-enc / gvc-dec --workers: GOPs coded in parallel on Ray actors (gvcodec.parallel).
        "ray": ["ray[default]>=2.9"],
        "test": ["pytest>=8", "hypothesis>=6", "pygame>=2.5"],
    },
    entry_points={
        "console_scripts": [
            "gvc-enc=gvcodec.cli.enc:main",
            "gvc-dec=gvcodec.cli.dec:main",
            "gvc-info=gvcodec.cli.info:main",
            "gvc-bench=gvcodec.cli.bench:main",
            "gvc-play=gvcodec.cli.play:main",
        ],
    },
)
