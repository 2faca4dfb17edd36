"""The zip installs into stock Blender, registers, loads its own wheels, and cleans up after itself.

One Blender process (scripts/registration.py) installs the linux-x64 zip with
``bpy.ops.extensions.package_install_files`` under a temporary ``BLENDER_USER_RESOURCES``, then
disables, enables and disables the add-on again; each test checks one part of what it reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

MODULE = "bl_ext.user_default.litellm_screenwriter"
NOTHING_LEFT = {
    "classes": [],
    "type_names": [],
    "handlers": [],
    "timer": False,
    "threads": 0,
    "scene_property": False,
}
REQUIRED_OPERATORS = {"analyze_script", "generate_dialogue", "describe_scene", "suggest_ideas",
                      "ask", "cancel", "new_conversation", "scene_markers",
                      "insert_answer"}  # fmt: skip
# What stock Blender lacks and the extension must bring: imported from its own site-packages.
MUST_BE_BUNDLED = ("aiohttp", "jsonschema", "yarl", "multidict", "frozenlist", "rpds")


@pytest.fixture(scope="module")
def report(blender_run) -> dict:
    return blender_run("registration")


def site_packages(report: dict) -> Path:
    user = Path(report["_user_resources"])
    python = f"python{report['python_version']}"
    return user / "extensions" / ".local" / "lib" / python / "site-packages"


def test_runs_in_the_chosen_blender(report: dict, blender_series: str) -> None:
    assert report["blender_version"].startswith(f"{blender_series}."), report["blender_version"]


def test_runs_the_python_of_its_blender_line(report: dict, blender_series: str) -> None:
    # Blender 5.1 moved from Python 3.11 to 3.13: the zip must carry wheels for both.
    major, minor = (int(part) for part in blender_series.split("."))
    expected = "3.13" if (major, minor) >= (5, 1) else "3.11"
    assert report["python_version"] == expected, (blender_series, report["python_version"])


def test_installs_as_an_extension_of_the_user_repository(report: dict) -> None:
    assert report["package_name"] == MODULE
    package_file = Path(report["package_file"])
    user = Path(report["_user_resources"])
    assert package_file == user / "extensions" / "user_default" / "litellm_screenwriter" / (
        "__init__.py"
    )
    print(f"bpy {report['blender_version']}: install took {report['install_seconds']:.2f} s")


def test_every_icon_the_ui_names_exists_in_this_blender(report: dict) -> None:
    icons = report["icons"]
    assert {"PLUGIN", "CANCEL", "DOT", "CHECKMARK"} <= set(icons["used"]), icons["used"]
    assert icons["unknown"] == [], icons


def test_registers_the_operators(report: dict) -> None:
    registered = report["registered"]
    assert set(registered["operators"]) >= REQUIRED_OPERATORS, registered["operators"]
    # Every operator class the extension defines is registered, under screenwriter.*.
    operator_classes = [c for c in report["classes"] if c.startswith("SCREENWRITER_OT_")]
    assert operator_classes, report["classes"]
    assert sorted(operator_classes) == registered["operator_classes"]
    assert {c.removeprefix("SCREENWRITER_OT_") for c in operator_classes} == set(
        registered["operators"]
    )


def test_every_class_of_the_extension_is_registered(report: dict) -> None:
    assert report["registered"]["unregistered_classes"] == []
    assert "ScreenwriterPreferences" in report["classes"]
    assert "ScreenwriterSceneSettings" in report["classes"]


def test_preferences_are_keyed_by_the_installed_package_name(report: dict) -> None:
    prefs = report["registered"]["preferences"]
    assert prefs["bl_idname"] == report["package_name"] == MODULE
    assert {"base_url", "api_key", "model"} <= set(prefs["properties"])
    assert prefs["api_key_subtype"] == "PASSWORD"


@pytest.mark.parametrize("space", ["TEXT_EDITOR", "VIEW_3D", "SEQUENCE_EDITOR"])
def test_the_sidebar_panel_is_registered_in_each_editor(report: dict, space: str) -> None:
    panels = report["registered"]["panels"]
    top = [
        name
        for name, panel in panels.items()
        if panel["space"] == space
        and panel["region"] == "UI"
        and panel["category"] == "Screenwriter"
        and not panel["parent"]
    ]
    assert len(top) == 1, panels
    subpanels = [n for n, p in panels.items() if p["space"] == space and p["parent"] in top]
    assert len(subpanels) == 2, panels
    # Sub-panels hang under a registered panel of the same tab.
    for name, panel in panels.items():
        if panel["parent"]:
            assert panel["parent"] in panels, name


def test_register_installs_the_timer_handlers_and_scene_settings(report: dict) -> None:
    registered = report["registered"]
    assert registered["timer"] is True
    assert {h.split(":")[0] for h in registered["handlers"]} == {"load_pre", "load_post"}
    assert registered["scene_property"] is True


def test_the_blender_python_lacks_aiohttp_so_a_pass_proves_bundling(report: dict) -> None:
    for name in MUST_BE_BUNDLED:
        assert report["findable_before"][name] is False, name


def test_enabling_does_not_import_aiohttp(report: dict) -> None:
    # Submodules load lazily: Blender start-up does not pay for aiohttp.
    assert report["aiohttp_imported_by_enable"] is False


def test_aiohttp_and_jsonschema_come_from_the_extensions_site_packages(report: dict) -> None:
    site = site_packages(report)
    assert str(site) in report["site_packages_on_path"]
    files = report["module_files"]
    for name, findable_before in report["findable_before"].items():
        if not findable_before:  # Blender lacks it: only the extension's wheels can provide it
            assert Path(files[name]).is_relative_to(site), (name, files[name])
    assert Path(files["aiohttp"]).is_relative_to(site)
    assert Path(files["jsonschema"]).is_relative_to(site)
    assert report["client_has"] == ["ClientConfig", "LiteLLMClient"]


def test_disable_leaves_no_class_timer_handler_thread_or_property(report: dict) -> None:
    assert report["after_disable"] == NOTHING_LEFT
    assert report["enabled_after_disable"] is False


def test_enable_disable_enable_registers_everything_again(report: dict) -> None:
    again = report["reenabled"]
    assert again == report["registered"]
    assert report["after_second_disable"] == NOTHING_LEFT
    assert report["final"] == NOTHING_LEFT


def test_register_is_cheap(report: dict) -> None:
    # Blender start-up pays register(): it must not import the client stack or start threads.
    assert report["register_seconds"] < 0.5
    print(f"register(): {report['register_seconds'] * 1000:.2f} ms")
