"""Every file the lesson downloads, by short name: where it comes from and how it is checked.

To add a file, add an entry here (CONTRIBUTING.md, "Add a data file"). The
download engine (:mod:`dlhelpers.cache`), ``python -m dlhelpers check`` and
``download``, the venue mirror and data/README.md's table of files all read
this registry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file.

    ``sha256`` is the hex digest of the file's true bytes, or ``None`` where
    they are not known (see data/README.md for how to add one); ``kind`` says
    how the content is validated (:func:`dlhelpers.validate.check_file`).
    ``optional`` files are used only by optional exercises. A download
    stops at ``max_bytes``: the file's size where it is known, else a
    generous bound. ``licence`` is the file's licence and source, for
    data/README.md's table, which is generated from this registry.
    """

    path: str
    url: str
    sha256: str | None
    kind: str
    episodes: str
    optional: bool = False
    max_bytes: int = 64 * 2**20
    licence: str = ""


_ZENODO_DS10 = "https://zenodo.org/records/10970014/files/{}?download=1"
_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"

#: Every file the lesson downloads, by short name.
REGISTRY: dict[str, RemoteFile] = {
    "weather": RemoteFile(
        "weather/weather_prediction_dataset_light.csv",
        "https://zenodo.org/record/5071376/files/weather_prediction_dataset_light.csv?download=1",
        "d10b70448e6848a66958a18667f4dbf8a4ef13b166f6803a7ab2057c6ec9d438",
        "csv",
        "3",
        max_bytes=1_536_155,  # its size: the sha256 is known
        licence="CC BY 4.0 — Florian Huber et al., *Weather prediction dataset* (Zenodo 5071376)",
    ),
    **{
        f"dollar_street_{part}": RemoteFile(
            f"dollar_street_10/{part}.npy",
            _ZENODO_DS10.format(f"{part}.npy"),
            None,
            f"npy-{part.split('_')[1]}",
            "4, 5",
            # int32 arrays: 878 training images are 43 MB; labels a few KB
            max_bytes=(128 if part.endswith("images") else 1) * 2**20,
            licence="CC BY 4.0 — Dollar Street 10 (Zenodo 10970014), from MLCommons' Dollar Street / Gapminder",
        )
        for part in ("train_images", "train_labels", "test_images", "test_labels")
    },
    "mobilenet_v2": RemoteFile(
        "weights/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        _KERAS_WEIGHTS
        + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        None,
        "h5:mobilenet_v2",
        "5",
        max_bytes=4 * 2**20,  # about 2.0 MB
        licence="Apache 2.0 (Keras applications)",
    ),
    "densenet121": RemoteFile(
        "weights/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _KERAS_WEIGHTS + "densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        None,
        "h5:densenet121",
        "5",
        optional=True,
        max_bytes=64 * 2**20,  # about 29 MB
        licence="Apache 2.0 (Keras applications)",
    ),
}
