"""results.json holds the same keys for every agent: Diffusion-QL's model-selection report adds
``model_selection`` and nothing else (not the ``workdir`` the launch scripts keep in memory)."""

import json

from jaxdiffrl.train import model_selection


def test_the_model_selection_report_writes_no_workdir_key(tmp_path, capsys):
    rows = [
        {"step": 10, "run": 0, "seed": 0, "actor/bc_loss": 0.5},
        {"step": 10, "run": 0, "seed": 0, "eval/normalized_score": 20.0},
        {"step": 20, "run": 0, "seed": 0, "actor/bc_loss": 0.4},
        {"step": 20, "run": 0, "seed": 0, "eval/normalized_score": 30.0},
    ]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = {"algo": "diffusion_ql", "dataset": "d", "runs": [{"run": 0, "seed": 0, "hparams": {}}]}
    (tmp_path / "results.json").write_text(json.dumps(written))
    in_memory = {**written, "workdir": str(tmp_path)}  # what cli.run returns to the launch script
    returned = model_selection.report(in_memory, str(tmp_path), rank=1)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved) == set(written) | {"model_selection"}
    assert returned["workdir"] == str(tmp_path)  # the caller's dict keeps it
    assert "offline-selected" in capsys.readouterr().out
