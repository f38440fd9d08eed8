"""The boards' charts: Chinese fields, highest first, no empty bars, unique labels."""
from lib.points import charts
from lib.points.boards import BuildingRow, PersonRow


def values(chart) -> list[dict]:
    return chart.to_dict()["data"]["values"]


def test_the_person_chart_labels_bars_by_rank_and_name_and_keeps_twins_apart():
    rows = [PersonRow(1, 1, "林*", 30), PersonRow(2, 2, "张伟", 20), PersonRow(2, 3, "张伟", 20)]
    spec = charts.person_chart(rows).to_dict()
    assert [v["居民"].rstrip() for v in spec["data"]["values"]] == ["1. 林*", "2. 张伟", "2. 张伟"]
    assert len({v["居民"] for v in spec["data"]["values"]}) == 3
    assert spec["encoding"]["x"]["title"] == "获得积分"
    assert len(values(charts.person_chart(rows * 10, limit=10))) == 10


def test_the_building_chart_has_no_empty_bars_and_sorts_by_the_chosen_measure():
    rows = [BuildingRow(1, 1, "1栋", 40, 4), BuildingRow(2, 2, "2栋", 30, 1),
            BuildingRow(3, 3, "3栋", 0, 5), BuildingRow(4, 4, "空楼", 5, 0)]
    assert [v["楼栋"] for v in values(charts.building_chart(rows, per_household=False))] == [
        "1栋", "2栋", "空楼"]
    per = values(charts.building_chart(rows, per_household=True))
    assert per == [{"楼栋": "2栋", "户均积分": 30.0}, {"楼栋": "1栋", "户均积分": 10.0}]
