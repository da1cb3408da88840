"""Static file addresses in production: the manifest's, worked out once per name."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from platformhub.static_storage import ManifestStaticFilesStorage

MANIFEST = {"paths": {"css/app.css": "css/app.0123456789ab.css"}, "version": "1.1", "hash": "f00d"}


@pytest.fixture
def static_root(tmp_path):
    (tmp_path / "staticfiles.json").write_text(json.dumps(MANIFEST))
    return tmp_path


def test_an_address_is_the_manifests_as_whitenoise_gives_it(static_root):
    ours = ManifestStaticFilesStorage(location=static_root, base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=static_root, base_url="/static/")
    assert ours.url("css/app.css") == theirs.url("css/app.css") == "/static/css/app.0123456789ab.css"


def test_an_address_is_worked_out_once(static_root):
    storage = ManifestStaticFilesStorage(location=static_root, base_url="/static/")
    first = storage.url("css/app.css")
    storage.hashed_files["css/app.css"] = "css/app.ffffffffffff.css"  # the manifest never changes under a process
    assert storage.url("css/app.css") == first


def test_a_file_missing_from_the_manifest_is_refused_every_time(static_root):
    storage = ManifestStaticFilesStorage(location=static_root, base_url="/static/")
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("js/missing.js")
