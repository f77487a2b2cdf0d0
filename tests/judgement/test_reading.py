"""The decision's reading of a post: situation cues survive negation, resolution, praise
idioms and hypotheticals only when they should (cases written here, not table rows)."""

from __future__ import annotations

import pytest

from listener.decisions.reading import names_brand, read


@pytest.mark.parametrize(
    ("text", "situation"),
    [
        ("@acme the charger is sparking and smoke is coming out of it", "safety"),
        ("@acme I'm stranded on the hard shoulder, battery dead", "stranded"),
        ("@acme you charged me twice for one order", "money"),
        ("@acme your app is down again, can't log in since 8am", "outage"),
        ("@acme I've asked my solicitor to write to you", "legal"),
        ("@acme I'm a reporter and I'd like a comment on this for a story", "press"),
    ],
)
def test_a_situation_at_stake_is_read(text: str, situation: str) -> None:
    assert [c.situation for c in read(text).situations][:1] == [situation]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("@acme not a fire, the oven was just new", "negated"),
        ("@acme turns out I was not charged twice after all", "negated"),
        ("@acme refund landed, charged twice no more", "resolved"),
        ("worried if @acme chargers could catch fire?", "hypothetical"),
        ("@acme this new phone is fire 🔥", "praise idiom"),
    ],
)
def test_alarm_words_that_do_not_mean_it_are_discounted(text: str, why: str) -> None:
    reading = read(text)
    assert not reading.situations
    assert why in {c.discounted for c in reading.discounted}


def test_resolution_then_a_new_problem_is_still_a_problem() -> None:
    reading = read("@acme wifi works again, thanks. but now the tv box won't start at all")
    assert reading.resolved is None
    assert reading.problems


def test_wanting_it_fixed_is_not_fixed() -> None:
    assert read("@acme please get this fixed today, still no refund").resolved is None
    assert read("@acme all sorted now, thanks!").resolved is not None


def test_sarcastic_praise_counts_as_problems() -> None:
    reading = read("@acme waited 2 hours and then the call dropped. love it")
    assert reading.sarcasm is not None
    assert not reading.praise


def test_negativity_aimed_elsewhere() -> None:
    names = ["Acme"]
    assert read("my commute was awful but at least @acme coffee was great", names).other_target
    assert read("@acme thanks for the refund, but now my card was charged again",
                names).other_target is None


def test_names_brand_by_name_handle_or_first_word() -> None:
    assert names_brand("my new Aurex rattles", ["Aurex Motors"])
    assert names_brand("@RiftForge pls", ["Rift Forge Games"])
    assert not names_brand("my cat is weird", ["Aurex Motors"])


@pytest.mark.parametrize(
    ("text", "situation"),
    [
        ("@acme my brake pedal went almost to the floor twice today", "safety"),
        ("@acme the battery is puffed up and the case split open", "safety"),
        ("@acme internet has been out since 7am yesterday", "outage"),
        ("@acme checkout fails every time at the payment step", "outage"),
        ("@acme £875 gone x2 and now I'm overdrawn", "money"),
        ("@acme billed me every month since I cancelled in August", "money"),
        ("@acme room was given to someone else and every other hotel is full", "stranded"),
        ("@acme you took my premium for 2 months after I'd moved to another insurer", "money"),
        ("@acme I sent £2,000 to the wrong account by mistake, how do I get it back", "money"),
        ("@acme returned the kettle a month ago and you didn't refund the money", "money"),
        ("@acme my salary has not been paid for March", "money"),
        ("@acme you deducted 700 from my account without any reason", "money"),
        ("@acme the ATM didn't give me any cash but my account was debited £200", "money"),
        ("@acme my subscription renewed without asking and took £89", "money"),
        ("@acme direct debit went out twice this month", "money"),
        ("@acme my money is stuck in limbo for 10 days", "money"),
        ("@acme a stranger used my card, 6 transactions in another country", "money"),
        ("@acme wallet shows 0 after the update, I had 120 in it", "money"),
        ("@acme you not only ate my money but half my days", "money"),
        ("@acme the kettle handle snapped, boiling water all over my hand", "safety"),
        ("@acme my son had a reaction to the snack bar, his lips swelled up", "safety"),
        ("@acme the lift doors closed on my mum's arm and kept going", "safety"),
        ("@acme your driver was going 90 on the motorway and texting", "safety"),
        ("@acme the stair rail came off the wall as I leaned on it", "safety"),
        ("@acme the scooter's handlebar came loose at speed and I came off", "safety"),
        ("@acme my boarding pass won't load and the gate closes in 10 minutes", "stranded"),
        ("@acme your driver dropped me at the wrong address and I don't know the area", "stranded"),
        ("@acme none of your cash machines in town are working", "outage"),
        ("@acme website keeps throwing a 500 when I try to pay", "outage"),
        ("@acme my daughter's car seat buckle won't release and she's stuck in it", "safety"),
        ("@acme your engineer left the gas on at the hob", "safety"),
        ("@acme the baby's formula had black specks in it", "safety"),
        ("@acme your driver hit my parked car and drove off", "safety"),
        ("@acme my dad's oxygen delivery didn't come and he has one tank left", "stranded"),
        ("@acme your app locked the car with my keys inside, miles from town", "stranded"),
        ("@acme my account was drained overnight, £3,400 gone", "money"),
        ("@acme you've charged my card every day this week for the same order", "money"),
        ("@acme our whole shop can't take card payments", "outage"),
        ("@acme I'm forwarding this to my MP", "legal"),
        ("@acme I'll see you at the tribunal", "legal"),
        ("@acme the payment went out of my account but the order says unpaid", "money"),
        ("@acme I sent the deposit to your account last week and the agent says nothing arrived",
         "money"),
        ("@acme you keep taking the old subscription fee after I downgraded", "money"),
        ("@acme my salary hasn't gone in and the branch blames you", "money"),
        ("@acme the claim payout is 3 months overdue", "money"),
        ("@acme my card was cloned and you say I'm liable for £900", "money"),
        ("@acme a £30 late fee even though I paid on the day it was due", "money"),
        ("@acme billed for a room we cancelled in the free window", "money"),
        ("@acme the exchange took 6% more than the rate you quoted", "money"),
        ("@acme nobody on our road has had internet since 7am", "outage"),
        ("@acme stuck at passport control because the booking has the wrong name", "stranded"),
        ("@acme the heating has been off since Friday, my dad is 90", "stranded"),
        ("@acme your van reversed into my son on the pavement", "safety"),
        ("@acme water is dripping out of the light fitting in the kitchen", "safety"),
        ("@acme the front door of the rental won't lock and it's 1am", "safety"),
        ("@acme the cab driver wouldn't let us out at the lights", "safety"),
        ("@acme the adapter is scorched where it meets the wall", "safety"),
        ("@acme a broken piece of glass in the jar of baby food", "safety"),
        ("@acme the charging cable won't release from the car and I need to leave", "stranded"),
        ("@acme we were cut off by the energy supplier in the middle of winter", "stranded"),
        ("@acme you cancelled my car insurance without telling me", "stranded"),
        ("@acme none of the card machines in the cafe can take payments", "outage"),
        ("@acme customers can't check out on your site since 9am", "outage"),
        ("@acme the texts aren't going through to anyone", "outage"),
        ("@acme the ATM in the station kept my card", "money"),
        ("@acme the fare came to double the estimate", "money"),
        ("@acme charged for the tickets but never issued them", "money"),
        ("@acme another privacy breach, my order went to a stranger", "legal"),
        ("@acme making a video for my 120k subscribers about this", "press"),
        # "can't stop X" says X goes on; it negates nothing
        ("@acme I can't stop bleeding after the blade slipped off", "safety"),
        ("@acme the alarm won't stop beeping and there's smoke in the hall", "safety"),
        ("@acme not me getting charged twice again", "money"),
    ],
)
def test_constructions_not_phrases_raise_a_situation(text: str, situation: str) -> None:
    assert situation in {c.situation for c in read(text).situations}


def test_a_conditional_legal_threat_is_still_a_threat() -> None:
    reading = read("@acme if my account isn't unfrozen by friday my lawyer will be in touch")
    assert "legal" in {c.situation for c in reading.situations}


def test_thanks_closing_a_request_are_politeness() -> None:
    reading = read("@acme can you check my order? DM'd you the number. thank you")
    assert reading.request is not None
    assert not reading.praise


def test_a_question_about_my_own_case_is_a_request() -> None:
    assert read("@acme any way to watch purchased films on my ps4?").request is not None
    assert read("@acme what time does the sale start tomorrow?").request is None


def test_a_resolution_stands_unless_a_problem_follows_the_contrast() -> None:
    assert read("@acme the line is fixed. took a while but we got there").resolved
    assert read("@acme the line is fixed. but now the tv box won't start").resolved is None


def test_a_wait_is_a_problem_a_duration_is_not() -> None:
    assert read("@acme 45 minutes waiting for a reply").problems
    assert not read("@acme saved me 6 hours of bookkeeping, brilliant").problems


def test_the_brand_after_a_contrast_with_nothing_wrong_is_elsewhere() -> None:
    names = ["Orbit Mobile"]
    text = "the train wifi was useless but my @orbitmobile 5G held up the whole way"
    assert read(text, names).other_target is not None


def test_asking_whether_it_is_normal_presupposes_it_is_happening() -> None:
    text = "@acme is it normal for the brake pedal to go almost to the floor? started today"
    assert [c.situation for c in read(text).situations][:1] == ["safety"]
    asked = read("@acme is it safe to leave the charger plugged in if it gets hot?")
    assert not asked.situations


@pytest.mark.parametrize(
    "text",
    [
        "@acme the saved level is no longer there after the update",
        "@acme my email is no longer accessible so I can't reset it",
        "@acme you no longer have a night train on the Leeds route",
    ],
)
def test_no_longer_before_what_worked_is_the_problem(text: str) -> None:
    reading = read(text)
    assert reading.resolved is None
    assert "no longer" in reading.problems


@pytest.mark.parametrize(
    "text",
    [
        "@acme no longer charging me twice, thanks",
        "@acme app no longer crashes on launch",
        "@acme no longer stuck at the login screen, cheers",
    ],
)
def test_no_longer_before_a_problem_ends_it(text: str) -> None:
    assert read(text).resolved is not None


def test_hoping_or_wanting_it_resolved_is_not_resolved() -> None:
    wanted = read("@acme laptop still slow after two repairs. I want the problem resolved")
    assert wanted.resolved is None
    assert read("@acme call keeps dropping, hopefully resolved soon").resolved is None
    assert read("@acme you'll get my business back as soon as this is over").resolved is None


def test_someone_else_finding_my_account_is_no_resolution() -> None:
    assert read("@acme a stranger found my email and keeps trying to sign in").resolved is None
    assert read("@acme you found my bag! thank you").resolved is not None


def test_a_decimal_point_ends_no_clause() -> None:
    names = ["Acme"]
    text = "just switched over to @acme 2020 v14.0. damn is it buggy, can't stop playback"
    assert read(text, names).other_target is None


def test_a_count_after_at_least_is_no_other_target() -> None:
    names = ["Acme"]
    text = "@acme\nletting sellers gouge prices?? total garbage. I've reported at least 20 of them"
    assert read(text, names).other_target is None


def test_words_of_praise_that_only_qualify_a_problem_or_question() -> None:
    assert not read("@acme printer won't print black and the cartridge is brand new").praise
    assert not read("@acme what's the best way to reach a person about mail issues?").praise
    assert read("@acme what's the best way to reach a person about mail issues?").request
    assert read("@acme the best support team, thank you").praise


@pytest.mark.parametrize(
    "text",
    ["@acme are you down rn", "@acme are there any service issues right now? my latency is awful",
     "@acme i have a question about my account ban"],
)
def test_a_question_about_the_service_now_is_a_request(text: str) -> None:
    assert read(text).request is not None


def test_a_wish_for_what_is_missing_is_not_praise() -> None:
    reading = read("@acme would love it if you could get my wife home, she's been stuck for days")
    assert not reading.praise
    assert not read("@acme it'd be nice if I could get an answer at all").praise
    assert read("@acme love the new lounge, so nice").praise


def test_thanking_for_harm_is_a_complaint() -> None:
    reading = read("@acme thanks for being entirely unhelpful and wasting hours of my time")
    assert reading.problems
    assert not reading.praise


@pytest.mark.parametrize(
    "text",
    ["@acme no extra fees, love it", "@acme refund is no longer stuck, thanks!",
     "@acme keep my money as credit until I can fly again, happy to wait"],
)
def test_money_words_that_take_nothing(text: str) -> None:
    assert "money" not in {c.situation for c in read(text).situations}


def test_food_left_at_the_wrong_door_strands_nobody() -> None:
    text = "@acme rider left my food at the wrong door and it was stone cold"
    assert "stranded" not in {c.situation for c in read(text).situations}


@pytest.mark.parametrize(
    "text",
    ["@acme paid for premium and still seeing ads", "@acme my points disappeared after the update",
     "@acme game keeps disconnecting me mid-match"],
)
def test_things_gone_or_repeating_are_problems(text: str) -> None:
    assert read(text).problems


def test_the_wrong_thing_turning_up_is_no_resolution() -> None:
    assert read("@acme ordered a blue sofa, a grey one turned up").resolved is None
    assert read("@acme my parcel turned up, thanks").resolved is not None


@pytest.mark.parametrize(
    ("text", "word"),
    [("@acme not gonna lie, the new update fixed every issue I had", "not gonna"),
     ("@acme can't believe how fast the delivery was", "can't believe"),
     ("@acme big fan of the new latte, please never take it off the menu", "never"),
     ("@acme not bad at all for the price", "not bad"),
     ("@acme your jingle is stuck in my head", "stuck")],
)
def test_turns_of_phrase_that_are_not_problems(text: str, word: str) -> None:
    assert word not in read(text).problems


def test_an_update_that_fixed_every_issue_is_a_resolution() -> None:
    assert read("@acme the new update fixed every issue I had").resolved is not None


@pytest.mark.parametrize(
    "text",
    ["@acme the clinic sent my test results to someone else",
     "@acme the smart meter reads double what I actually use",
     "@acme GP surgery phone line rings out every morning at 8",
     "@acme I was told my package would be held at the depot",
     "@acme the bus just drove past the stop with us waving at it"],
)
def test_more_kinds_of_problem(text: str) -> None:
    assert read(text).problems


def test_being_told_it_was_fixed_is_not_fixed() -> None:
    assert read("@acme the repair man said it was fixed, it broke an hour later").resolved is None


@pytest.mark.parametrize(
    ("text", "word"),
    [("@acme the crash test rating on the new model is reassuring", "crash"),
     ("@acme the noise cancelling blocks out my snoring husband", "cancelling"),
     ("@acme 10 years with you and never had a reason to leave", "never")],
)
def test_words_inside_a_name_or_praise_are_not_problems(text: str, word: str) -> None:
    assert word not in read(text).problems


def test_the_reading_is_blind_to_case_and_quotes_the_author() -> None:
    # The lexicons match lowered text; what a reason quotes is what the author wrote.
    shouting = read("@ACME MY FLIGHT IS CANCELLED AND I'M STRANDED AT THE AIRPORT. CAN YOU HELP?")
    quiet = read("@acme my flight is cancelled and i'm stranded at the airport. can you help?")
    assert [c.situation for c in shouting.situations] == [c.situation for c in quiet.situations]
    assert "STRANDED" in {c.evidence for c in shouting.cues}
    assert shouting.request is not None and shouting.request.isupper()
    assert shouting.personal and quiet.personal


def test_a_capital_that_lowers_to_two_characters_keeps_spans_aligned() -> None:
    # "İ" lowers to "i" plus a combining dot: the reading must still quote the right words.
    reading = read("İstanbul gate closed, İ'M stuck at the airport and @acme charged me twice")
    assert reading.personal
    assert {c.evidence for c in reading.situations} >= {"charged me twice"}


def test_signing_someone_up_without_asking_is_money_at_stake() -> None:
    reading = read("@acme you signed me up to a monthly box without asking and charged me")
    assert [c.situation for c in reading.situations][:1] == ["money"]


def test_thanks_to_someone_for_help_given_ends_the_story() -> None:
    reading = read("@acme thx to the rep Alex for his patient help rebooking my cancelled flight")
    assert reading.resolved is not None
    assert not reading.situations
    # Thanks for help still to come is politeness, not a resolution.
    polite = read("@acme my flight was cancelled, can you rebook me? thanks for your help")
    assert polite.resolved is None


@pytest.mark.parametrize(
    "text",
    [
        "@acme the renewal price went down this year, nice",
        "@acme your chatbot has no way to reach a person, it just loops",
        "@acme I paid the deposit and never received a reply to my email",
        "@acme I keep taking screenshots of your memes",
    ],
)
def test_prices_contact_and_habits_are_no_situation(text: str) -> None:
    assert not read(text).situations


@pytest.mark.parametrize(
    "text",
    [
        "@acme it's criminal how good these cookies are",
        "@acme I'd die for your garlic bread",
        "@acme help, I can't stop ordering your dumplings",
        "@acme not me buying a third hoodie this month",
        "@acme you're stuck with me, ten years and counting",
        "@acme your new shop is dangerous for my bank balance",
        "@acme I'll fight anyone who says your pies are overrated",
        "@acme the plumber was in and out in half an hour",
        "@acme no queue at the tills this morning, bliss",
        "@acme hats off to the pilot, smoothest landing ever",
        "@acme the new checkout is a game changer",
        "@acme you just made my week",
        "@acme props to the night shift at the depot",
        "@acme what a star your courier is",
        "@acme five stars isn't enough for the repair team",
    ],
)
def test_praise_words_and_happy_hyperbole_are_praise(text: str) -> None:
    reading = read(text)
    assert reading.praise
    assert not reading.situations


def test_what_was_ordered_and_what_came_is_a_problem() -> None:
    assert read("@acme asked for oat milk and got cow's milk, again").problems
