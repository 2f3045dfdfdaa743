"""nbgrader's cell-metadata check, with its JSON schema checked once per process, not once per cell.

nbgrader's ``CheckCellMetadata`` runs twice per notebook when autograding (and twice at release).
For every nbgrader cell it calls ``jsonschema.validate``, which first re-checks the *schema itself*
against the JSON Schema meta-schema: about nine tenths of the check's time, some 0.3 s for a
78-cell chapter. :class:`CheckCellMetadataOnce` runs the same checks, raises the same errors
(nbgrader's ``ValidationError``, ``SchemaTooOldError``, ``SchemaTooNewError``), and logs the same
messages; only the schema check is done once per schema version. ``tests/unit/test_metadata_check.py``
holds both to the same verdicts.
"""

from __future__ import annotations

import traceback

import jsonschema
from nbgrader.nbgraderformat.common import (
    BaseMetadataValidator,
    SchemaTooNewError,
    SchemaTooOldError,
    ValidationError,
)
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3
from nbgrader.preprocessors import CheckCellMetadata

_VALIDATORS: dict = {}


def _validator(version: int, schema: dict):
    """The validator of nbgrader's schema ``version``, the schema checked against its meta-schema
    once per process (``jsonschema.validate`` does that on every call)."""
    if version not in _VALIDATORS:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _VALIDATORS[version] = cls(schema)
    return _VALIDATORS[version]


class _SchemaCheckedOnce(BaseMetadataValidator):
    """nbgrader's ``BaseMetadataValidator.validate_cell``, the schema validator reused."""

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        meta = cell.metadata["nbgrader"]
        version = meta.get("schema_version", 0)
        if version < self.schema_version:
            raise SchemaTooOldError(
                f"Outdated schema version: {version} (expected {self.schema_version})",
                version,
                self.schema_version,
            )
        if version > self.schema_version:
            raise SchemaTooNewError(
                f"Schema version is too new: {version} (expected {self.schema_version})",
                version,
                self.schema_version,
            )
        validator = _validator(self.schema_version, self.schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(meta))
        if error is not None:
            raise error


class MetadataValidator(MetadataValidatorV3, _SchemaCheckedOnce):
    """nbgrader's current validator: its ``validate_cell`` calls ``super()``, which the method
    resolution order makes :class:`_SchemaCheckedOnce`'s, not the per-call schema check."""


class CheckCellMetadataOnce(CheckCellMetadata):
    """``CheckCellMetadata`` with :class:`MetadataValidator`: same checks, same errors and log."""

    def preprocess(self, nb, resources):
        try:
            MetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg)  # noqa: B904 (as nbgrader's own)
        return nb, resources
