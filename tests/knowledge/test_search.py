from knowledge.search import BM25Baseline, resolve


def test_the_slice_question_finds_expired_food(searcher):
    hits = searcher.search("卖过期食品会被罚多少钱？", types=["compliance_item"])
    assert hits[0].record_id == "market.food.expired_food"


def test_traditional_characters_and_full_width_are_normalised(searcher):
    assert searcher.search("賣過期食品會被罰多少錢？")[0].record_id == "market.food.expired_food"


def test_every_compliance_example_retrieves_its_own_item_in_the_top_three(kb, searcher):
    misses = []
    items = [r for r in kb.records.values() if r.type == "compliance_item"]
    for item in items:
        for ex in item.examples:
            top = [h.record_id for h in searcher.search(ex, k=3, types=["compliance_item"])]
            if item.id not in top:
                misses.append((item.id, ex))
    total = sum(len(i.examples) for i in items)
    assert len(misses) <= 0.05 * total, misses[:10]


def test_resolution_is_confident_for_a_clear_question_and_not_for_noise(searcher):
    r = resolve(searcher, "没有明码标价会被罚吗", types=["compliance_item"])
    assert r.confident and r.best.record_id.startswith("market.price.")
    noise = resolve(searcher, "今天天气怎么样", types=["compliance_item"])
    assert not noise.confident


def test_a_recognised_name_lifts_its_record(searcher):
    q = "没有食品经营许可证卖盒饭怎么罚"
    plain = [h.record_id for h in searcher.search(q, k=10)]
    boosted = [h.record_id for h in searcher.search(q, k=10, boost_ids=["market.food.no_licence"])]
    assert boosted[0] == "market.food.no_licence"
    assert boosted.index("market.food.no_licence") <= plain.index("market.food.no_licence")


def test_a_tapped_button_resolves_without_text(searcher):
    r = resolve(searcher, "", types=["compliance_item"], hint_ids=["market.food.no_licence"])
    assert r.best.record_id == "market.food.no_licence" and r.confident


def test_baseline_is_plain_bm25(kb):
    base = BM25Baseline(kb, types=["compliance_item"])
    assert base.search("")[:1] == []
    assert base.search("过期食品")
