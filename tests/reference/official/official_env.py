"""Imports single modules of the official X-SAM code (branch AAAI26_Archive) without their packages.

The official package imports transformers, xtuner, mmengine, peft and pycocotools at module level; the
stages compared here call none of them. `load("xsam.a.b")` makes empty shells of the parent packages
(so no package __init__ runs) and imports the one file, with every name from those third-party
packages answered by a stub of ours (below). Nothing of the official code is copied: it is read from
XSAM_OFFICIAL_ROOT (the xsam/ folder of a checkout kept outside the project tree, see make-goldens.sh).

The stubs only let the files import. A stub that a compared function calls would show up as a wrong
result or an exception in the goldens run, never silently: every stub class is inert and has no
behaviour but construction, subclassing and use as a decorator. Three names get a minimal real
meaning because class bodies need it: PreTrainedModel (an nn.Module), PretrainedConfig (an attribute
bag) and ModelOutput (an attribute bag).
"""
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types

import torch.nn as nn

OFFICIAL_ROOT = os.environ.get("XSAM_OFFICIAL_ROOT", "")
STUBBED = ("transformers", "xtuner", "mmengine", "peft", "pycocotools", "deepspeed")


class _StubMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub_class(name)


class _Stub(metaclass=_StubMeta):
    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        # used as a decorator: hand the decorated function back unchanged
        return args[0] if len(args) == 1 and callable(args[0]) else _Stub()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub_class(name)


def _stub_class(name):
    return _StubMeta(name, (_Stub,), {})


class PretrainedConfig:
    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)


class PreTrainedModel(nn.Module):
    def __init__(self, config=None, *args, **kwargs):
        super().__init__()
        self.config = config

    def post_init(self):
        pass


class ModelOutput(dict):
    def __getattr__(self, name):
        return self.get(name)


OVERRIDES = {"PreTrainedModel": PreTrainedModel, "PretrainedConfig": PretrainedConfig, "ModelOutput": ModelOutput,
             "print_log": lambda *a, **k: None, "get_rank": lambda: 0, "get_world_size": lambda: 1,
             "is_distributed": lambda: False, "is_torch_available": lambda: True,
             "is_torchvision_available": lambda: False, "is_tf_available": lambda: False,
             "is_scipy_available": lambda: True}


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return OVERRIDES.get(name) or _stub_class(name)


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        m = _StubModule(spec.name)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


def install_stubs():
    if not any(isinstance(f, _StubFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _StubFinder())


def load(dotted):
    """Imports one official module (or package, with its __init__) by its dotted name, e.g.
    'xsam.dataset.utils.vprompt'; its parent packages become empty shells."""
    if not OFFICIAL_ROOT or not os.path.isdir(os.path.join(OFFICIAL_ROOT, "xsam")):
        raise SystemExit("XSAM_OFFICIAL_ROOT must name the folder that holds the official 'xsam' package "
                         "(xsam/ of a checkout of branch AAAI26_Archive)")
    install_stubs()
    shell(dotted.rpartition(".")[0])
    return importlib.import_module(dotted)


def shell(pkg, **names):
    """An empty official package (its __init__ does not run, nor its parents'), optionally holding the
    given names."""
    parent = pkg.rpartition(".")[0]
    if parent:
        shell(parent)
    if pkg not in sys.modules:
        m = types.ModuleType(pkg)
        m.__path__ = [os.path.join(OFFICIAL_ROOT, *pkg.split("."))]
        m.__package__ = pkg
        sys.modules[pkg] = m
    for k, v in names.items():
        setattr(sys.modules[pkg], k, v)
    return sys.modules[pkg]
