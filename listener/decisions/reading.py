# ruff: noqa: E501 -- lexicons: one alternative per string reads better than split regexes
"""What a post says, read from its words: the situation at stake and the author's stance.

Pure and deterministic (stdlib ``re``), so live triage, backfill, replay and ``triage``
read a post the same way whichever model version scored it. :func:`read` returns a
:class:`Reading`:

* **situations**: physical safety, someone stranded or locked out right now, money taken
  or withheld, a service unusable, a legal or regulatory threat, the press. Each cue is
  checked against its clause: a negation just before it ("not a fire", "no longer
  charging me twice"), a hypothetical ("scared it's a scam", "is it safe"), a praise
  idiom ("this update is fire 🔥", "killer deal"), or a resolution ("works again",
  "refund landed") discounts it, and the reason is kept.
* **stance**: problem cues (a failure, a wait, a repeat, a reproach), praise cues,
  resolution ("fixed", "back up", "went through"), a request about the author's own
  case ("how do I…", "can you check…", "DM'd you"), news, promos and spam, and praise
  of the brand set against something else ("I hate Mondays but at least @brand…").

The lexicons are deliberately general (kinds of words, not phrases of any one post):
they describe how people write complaints, not what one table says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from listener.config import URGENCY_REASONS

__all__ = ["SITUATIONS", "Cue", "Reading", "names_brand", "read"]

#: The situations that make a complaint urgent, in the order that names the reason.
SITUATIONS: tuple[str, ...] = tuple(r for r in URGENCY_REASONS if r != "reach")


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w@])(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


_N = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|many|few)"
_DURATION = rf"{_N}\+?\s*(?:mins?|minutes?|hrs?|hours?|days?|weeks?|wks?|months?)"

_SITUATION_CUES: dict[str, re.Pattern[str]] = {
    "safety": _rx(
        r"(?:caught|on|burst into|catch(?:ing)?) (?:fire|flames?)", r"flames?", r"fire(?! alarm)",
        r"smoke(?! alarm)", r"fire brigade",
        r"fire (?:department|service|fighters?)", r"smok(?:ing|ed)", r"smoke (?:coming|from|out)",
        r"spark(?:s|ing|ed)", r"explod\w*", r"explosion", r"burn(?:t|ed|s)? (?:my|his|her|our)",
        r"burns?", r"too hot to touch", r"overheat\w*", r"melt(?:ed|ing)", r"swoll?en",
        r"injur\w*", r"bleed\w*", r"blood", r"hospital", r"ambulance", r"a&e", r"paramedics?",
        r"epipen", r"allergic", r"allerg(?:y|en)", r"anaphyla\w*", r"peanuts?",
        r"food poisoning", r"poison\w*", r"vomit\w*", r"chok(?:e|ed|ing)", r"swallow\w*",
        r"(?:glass|plastic|metal|wire|bone|hair) in (?:my|the|his|her|our)",
        r"electric(?:al)? shock", r"electrocut\w*", r"shocked me", r"unsafe", r"dangerous",
        r"(?:fire|safety|choking|electrical|trip) hazard", r"gas leak", r"smell(?:s|ing)? (?:of )?gas", r"carbon monoxide",
        r"brakes? (?:failed|gave out|did nothing|stopped)", r"power lines? down",
        r"live wire", r"emergency exit", r"(?:someone else'?s|wrong) (?:prescription|medic\w*|tablets?|pills?)",
        r"(?:toddler|baby|child|kid|son|daughter) (?:is |was )?(?:still )?(?:locked |stuck |trapped )?inside",
        r"intruder", r"broke in", r"nearly killed", r"get(?:s)? (?:someone )?killed",
        r"recall(?:ed)?\?+",
    ),
    "stranded": _rx(
        r"stranded",
        r"stuck (?:at|in|on|outside) (?:the |a |an )?(?:airport|gate|station|terminal|road|roadside|motorway|highway|freeway|interstate|garage|parking|car park|lift|elevator|train|platform|side of|middle of)", r"locked (?:out|in)", r"lock(?:s|ed)? me out",
        r"kick(?:s|ed|ing)? me out", r"can'?t get (?:in|home|out)", r"no way (?:home|in|out)",
        r"sleeping (?:at|in|on)", r"on the (?:hard )?shoulder", r"roadside assistance",
        r"broke(?:n)? down", r"tow truck", r"no (?:heat|heating|hot water)",
        r"(?:left|lost) my wheelchair", r"wheelchair", r"missed my connection",
        r"no hotel", r"nowhere to (?:sleep|stay|go)", r"where do (?:we|i) go",
        r"(?:card|payment) (?:was |got )?declined", r"can'?t pay for",
        r"(?:one|1|last) (?:pen|dose|pill|tablet)s? left", r"insulin",
        r"(?:medication|meds|prescription) (?:hasn'?t|not|never) (?:arrived|come|been delivered)",
        r"\d+ miles of range", r"(?:car'?s|battery'?s?|car is|battery is) at \d+ ?%",
        r"next charger is", r"(?:phone|battery) (?:is )?at \d+ ?%", r"standing outside",
        r"(?:exam|test|interview|flight) starts in",
    ),
    "money": _rx(
        r"charged (?:me )?(?:twice|double|two times|2x|again|for)", r"double[- ]charged",
        r"billed (?:me )?(?:twice|again|after)", r"overcharg\w*", r"over-charg\w*",
        r"(?:taken|took|taking|stole|stolen|gone from|drained) (?:my |our )?(?:money|£|\$|€|funds|savings|\d)",
        r"money'?s gone", r"(?:never|didn'?t|did not) (?:make|made|send|sent|authori[sz]e|order)",
        r"unauthori[sz]ed", r"fraud\w*", r"someone (?:got into|hacked|changed)",
        r"(?:no |still no |refus\w* (?:\S+ ){0,2}|waiting (?:on|for) (?:\S+ ){0,2}|where'?s my |not eligible for (?:a )?)refund",
        r"refund (?:is |was )?\"?(?:not eligible|refused|denied|rejected)",
        r"charged (?:me )?[^.!?]{0,40}(?:cancel\w*|never (?:came|arrived)|returned|after)", r"(?:release|return|give back) my (?:funds|money|deposit)",
        r"give it back", r"withdrawals? (?:\"?pending\"?|stuck|frozen|blocked|disabled)",
        r"(?:account|card|funds) (?:is |was |has been |got )?(?:frozen|locked|under review|suspended|closed)",
        r"overdrawn", r"chargeback", r"(?:after|since) (?:i )?cancel(?:l)?(?:ed|ing)", r"x ?2\b",
        r"(?:four|three|two|\d) subscriptions", r"bill (?:is |was |of )?[£$€]\d",
    ),
    "outage": _rx(
        r"(?:is|are|been|went|goes|was|were|all|completely|totally|still|'s|s) down",
        r"(?<!marked )(?<!turned )(?<!let )(?<!put )(?<!slow )down (?:since|for|again|all|everywhere)", r"(?:app|site|website|servers?|service|system|network|kiosks?)'?s? (?:is |are |been )?down",
        r"down for everyone", r"outages?", r"(?:no|zero) (?:internet|signal|service|data|connection|power|calls)",
        r"sos only", r"can'?t (?:even )?(?:log ?in|sign in|access|connect|get (?:in|to|on))",
        r"cannot (?:log ?in|sign in|access|connect)", r"unable to (?:log ?in|access|connect)",
        r"error (?:code )?\w*-?\d{3}", r"\b[45]0\d\b(?: errors?|s)?", r"timing out", r"timed? out",
        r"(?:payments?|cards?|checkout|transactions?) (?:\w+ )?(?:failing|failed|declin\w*)",
        r"(?:failing|erroring) (?:all|every|since)", r"crash(?:es|ing)? (?:on|every) (?:open|launch|start)\w*",
        r"won'?t (?:load|open|start|connect)", r"every single (?:show|title|page|time)",
    ),
    "legal": _rx(
        r"lawyers?", r"attorneys?", r"solicitors?", r"legal action", r"su(?:e|ing) (?:you|them)",
        r"lawsuit", r"class action", r"small claims", r"(?:in|to|see you in) court", r"ombudsman",
        r"regulators?", r"ftc", r"fcc", r"cfpb", r"fca", r"asa", r"ico", r"bbb", r"ofcom", r"ofgem",
        r"better business bureau", r"trading standards", r"consumer (?:protection|rights)",
        r"attorney general", r"formal complaint", r"hipaa", r"gdpr", r"coppa", r"ada",
        r"(?:it'?s|that'?s|this is|thats) illegal", r"against the law", r"breaks? (?:the law|\w+ law)",
        r"violat\w+ (?:of )?(?:my|the|hipaa|gdpr|ada|coppa|law)", r"subject access request",
        r"report(?:ed|ing)? (?:you|this|it|them) to", r"filing a (?:formal )?complaint",
    ),
    "press": _rx(
        r"journalists?", r"reporters?", r"for (?:a|the|my) (?:piece|story|article|column|review|video)",
        r"piece i'?m writing", r"i write (?:the|a|for)", r"\w+ column", r"going in(?:to)? (?:the|my) (?:review|video|article)",
        r"my (?:readers|viewers|subscribers|listeners|audience|podcast|channel)", r"on (?:my )?stream",
        r"the press", r"(?:local )?news(?:paper)?", r"tv station", r"going viral",
    ),
}

def _extend(pattern: re.Pattern[str], *alternatives: str) -> re.Pattern[str]:
    """``pattern`` (built by :func:`_rx`) with more alternatives."""
    inner = pattern.pattern[len(r"(?<![\w@])(?:") : -len(r")(?!\w)")]
    return _rx(inner, *alternatives)


# The wider vocabulary of each situation: kinds of harm, not phrases of any one post.
_SITUATION_CUES["safety"] = _extend(
    _SITUATION_CUES["safety"],
    r"hurt (?:me|my|him|her|us|them)", r"burned", r"scald\w*", r"cut (?:my|his|her|their)",
    r"(?:got|was|were|felt|feel|am|been|is|are) (?:really |so |violently )?(?:sick|ill)",
    r"made (?:me|us|him|her|my \w+) (?:sick|ill)", r"diarrh\w*", r"rash", r"hives",
    r"urgent care", r"mou?ldy?", r"maggots?", r"cockroach\w*", r"(?:raw|undercooked) \w+",
    r"rotten", r"steering (?:failed|locked|went)", r"airbags?", r"accident", r"collision",
    r"crash(?:ed)? (?:into|my car)", r"assault\w*", r"harass\w*", r"threaten\w*",
    r"followed me", r"(?:drunk|reckless|speeding) driv\w*", r"battery (?:is )?(?:swelling|bulging|leaking)",
    r"fell (?:off|through|down)", r"collapsed", r"broken glass", r"sharp (?:edge|piece)",
    r"leak(?:ing|s)? (?:gas|fuel|acid|chemicals?)", r"fumes", r"recall(?:ed)?",
)
_SITUATION_CUES["stranded"] = _extend(
    _SITUATION_CUES["stranded"],
    r"stuck (?:here|outside|in the (?:cold|rain|snow|dark|middle))", r"left (?:me |us )?(?:stranded|behind)",
    r"abandoned", r"middle of nowhere", r"(?:in|out in) the (?:cold|rain|snow|dark)", r"freezing",
    r"no (?:ac|air ?con\w*|water|electricity)", r"can'?t (?:get to|reach) (?:work|home|the hospital|my)",
    r"no way to (?:get|pay|reach)", r"(?:flight|train|bus|ferry) (?:was |got |is )?cancell?ed",
    r"missed (?:my|the|our) (?:flight|train|bus|connection|appointment|exam|surgery)",
    r"overnight (?:at|in) the", r"(?:sleep|sleeping|slept) (?:at|in|on) the",
    r"can'?t (?:pay|buy|afford) (?:for )?(?:food|rent|groceries|gas|petrol|fuel|my|our)",
    r"rent (?:is )?due", r"no money (?:for|to|left)",
    r"(?:medication|meds|prescription|inhaler|oxygen) (?:hasn'?t|has not|not|never|still)",
    r"(?:run|ran|running) out of (?:medication|meds|insulin|my \w+ medication)",
    r"(?:phone|battery)(?:'s| is)? (?:dying|about to die|dead)",
    r"with (?:my|a|two|2|three|3) (?:kids?|baby|toddler|children|newborn)",
)
_SITUATION_CUES["money"] = _extend(
    _SITUATION_CUES["money"],
    r"charged (?:me |us )?[£$€]\s?\d", r"(?:took|taken|deducted|debited|withdrew|withdrawn|pulled) [£$€]\s?\d",
    r"double (?:charge|payment|billed|billing)", r"charged (?:me )?(?:for nothing|without)",
    r"(?:haven'?t|have not|never|still not|still haven'?t) (?:received|got|gotten|seen) (?:my |a |the |our )?(?:refund|money|payment|deposit|payout|reimbursement)",
    r"(?:my|our) (?:deposit|savings|payout|paycheck|wages)", r"refund (?:still|never|hasn'?t)",
    r"scam(?:med)? me", r"stole", r"stealing", r"theft", r"hacked", r"(?:didn'?t|did not|never) (?:authori[sz]e|approve|agree to)",
    r"disput\w+ (?:the|a|this) charge", r"still (?:being )?(?:charged|billed|charging|billing)", r"(?:keep|keeps|kept) charging",
)
_SITUATION_CUES["outage"] = _extend(
    _SITUATION_CUES["outage"],
    r"not working at all", r"(?:app|site|website|service|server|network|system|portal|checkout|payments?|internet|wifi|broadband) (?:is |are |keeps |has been )?(?:not working|broken|crashing|offline|unavailable|dead)",
    r"offline", r"can'?t (?:connect|load|stream|pay|check ?out|place an order)",
    r"(?:no|lost|zero) (?:wifi|wi-fi|broadband|connection|coverage|reception|network|dial tone)",
    r"won'?t (?:let me )?(?:log ?in|sign in|connect|load|open)", r"(?:keeps|kept) (?:crashing|failing)",
    r"unusable", r"nothing (?:works|is working|loads)",
)
_SITUATION_CUES["legal"] = _extend(
    _SITUATION_CUES["legal"],
    r"su(?:e|ing)", r"(?<!food )court", r"legal", r"discriminat\w*", r"data breach", r"breach(?:ed)? (?:of )?(?:my|the) \w+",
    r"watchdog", r"consumer (?:affairs|council|board|group)", r"report(?:ed|ing)? (?:this |you |it |them )?to the (?:police|authorities|council|state)",
    r"police report", r"my rights",
)
_SITUATION_CUES["press"] = _extend(
    _SITUATION_CUES["press"],
    r"my (?:followers|following)", r"(?:blog|video|thread|story|article|tiktok|youtube) about (?:this|you|it)",
    r"going public", r"(?:tv|media) (?:station|outlet)", r"influencer", r"content creator",
)


# -- stance ------------------------------------------------------------------------------

_PROBLEM = _rx(
    # repeats, waits and durations
    r"(?<!works )(?<!working )again", r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time", r"every (?:single )?(?:time|week|day|month)",
    r"in a row", r"yet again", rf"(?<!\bin )(?<!within )(?<!under )(?<!only )(?<!every )(?<!in like ){_DURATION}(?!\s+(?:early|ahead|off|ago))",
    r"still (?:no|not|waiting|nothing|says|shows|broken|down|stuck|pending|charging|processing|sending|missing|refusing|without|getting|having|the same|on hold|arriv\w*|happening|\w+n'?t)", r"since (?:\w+ )?(?:\d|last|yesterday|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|this|the)",
    r"straight", r"waiting", r"waited", r"on hold", r"queue", r"delay\w*", r"late", r"(?:no|zero) (?:reply|response|answer|callback|call|show|warning|notice|one)",
    r"nobody", r"no one", r"never", r"ignor\w*", r"(?:hasn'?t|haven'?t|hasnt|havent|didn'?t|didnt|doesn'?t|doesnt|won'?t|wont|can'?t|cant|isn'?t|isnt|wasn'?t|aren'?t|not) \w+",
    r"all over the place", r"already (?:a|broken|broke|cracked|scratched|stopped|dead)", r"apparently",
    # things gone wrong
    r"broke\w*", r"snapp\w*", r"crack\w*", r"died", r"dead", r"faulty", r"defect\w*", r"damaged", r"rattl\w*",
    r"crash\w*", r"fail\w*", r"error\w*", r"bug\w*", r"glitch\w*", r"stopped", r"stuck", r"missing",
    r"lost", r"wrong", r"instead", r"cancel\w*", r"changed", r"moved", r"removed", r"refus\w*",
    r"charged", r"fees?", r"surge", r"price", r"overpriced", r"went up", r"goes up", r"raising", r"refund\w*",
    r"out of order", r"logs? me out", r"kick\w* me", r"dropped", r"pilling", r"cold", r"soggy", r"limp", r"squashed",
    r"substitut\w*", r"replac\w+ my", r"got (?:a|an|regular|the wrong)", r"received?", r"receiving", r"left my", r"tried to",
    r"takes? (?:like )?\d+", r"slow", r"laggy", r"throttl\w*", r"outage", r"unavailable", r"expired",
    r"verif\w+ (?:my|again)", r"upload", r"transfers?", r"told me", r"shouted", r"rolled (?:her|his|their) eyes", r"rude",
    # reproach and frustration
    r"why", r"how is", r"explain", r"fix", r"sort (?:it|this)", r"please", r"pls", r"asap", r"help", r"hello\?+",
    r"ridiculous", r"unacceptable", r"useless", r"terrible", r"awful", r"horrible", r"worst", r"joke", r"nightmare",
    r"hideous", r"ugly", r"shady", r"disgust\w*", r"annoy\w*", r"frustrat\w*", r"disappoint\w*", r"hell", r"mess",
    r"unreal", r"criminal", r"not ok", r"come on", r"seriously", r"wtf", r"smh", r"ffs", r"expected better",
    r"make it make sense", r"lost (?:their|your) minds", r"punishment", r"impossible", r"confusing", r"upsetting",
    r"deleting the app", r"wont be buying", r"won'?t be (?:buying|back|using)", r"never (?:again|flying|buying|using)",
    r"apparently", r"defeats the point", r"some of us", r"is anyone", r"anyone else", r"what (?:is|am) (?:going on|i supposed)",
    r"thanks for nothing",
)
#: Marks that need no word boundary: emoji, "??", and the brand's own words in scare
#: quotes ("arriving today" for 4 days), which praise rarely uses.
_PROBLEM_MARKS = re.compile(r"🙃|🙄|😡|😤|🤬|😩|😕|😠|👎|😒|\?\?+|!!+|\"[^\"]{2,40}\"")
#: Praise words said the other way round ("love that for me 🙃", "oh great,").
_SARCASM = re.compile(
    r"🙃|🙄|\blove (?:how|that for me|it when)|\boh (?:great|good|joy|wonderful)|^great,|\bcool cool"
    r"|\bwhat a time to be alive|\bnothing says|\bwould recommend if|\bfeeling valued|\bvery thoughtful"
    r"|\bsimply incredible|\bgotta love|\bjust what i needed|\bthanks for the (?:\d+(?:st|nd|rd|th)|third|fourth)"
    r"|\bfor the (?:\d+(?:st|nd|rd|th)|third|fourth|fifth) (?:time|\")|\breally great stuff|\bcheers for the",
    re.IGNORECASE,
)
#: Short praise closing a list of problems is sarcasm ("…the call dropped. love it").
_CLOSING_PRAISE = re.compile(
    r"(?:^|[.!?;,]\s*)(?:love it|lovely[^.!?]*|great|fun|cool|nice|brilliant|fantastic|perfect|amazing"
    r"|awesome|classic|wonderful|super|good times|great stuff)[.!?\s]*(?:\S{1,2})?\s*$",
    re.IGNORECASE,
)
#: The author says the alarming words are good news ("…in a good way").
_POSITIVE_TURN = _rx(r"in a good way", r"not complaining", r"no complaints", r"(?:i'?m|we'?re) fine")
#: A question anyone could answer, not one about the author's own case.
_ASKS_OTHERS = _rx(
    r"anyone (?:here |else )?(?:know|tried|driven|used|been|recommend)\w*", r"worth it",
    r"is \S+ legit", r"do you (?:still )?(?:do|sell|have|stock)", r"what time do", r"who'?s coming",
)
_PRAISE = _rx(
    r"thanks?", r"thank you", r"thx", r"ty", r"cheers", r"love", r"loving", r"loved", r"great", r"amazing",
    r"awesome", r"brilliant", r"perfect\w*", r"best", r"excellent", r"fantastic", r"superb", r"impress\w*",
    r"well done", r"kudos", r"shout ?out", r"credit where", r"legend", r"hero", r"lifesaver", r"obsessed",
    r"slaps", r"top notch", r"can'?t complain", r"grateful", r"so (?:good|kind|nice|pretty|soft|easy|fast)",
    r"lovely", r"nice", r"pretty", r"easy", r"smooth", r"early", r"on time", r"quick(?:ly)?", r"fast",
    r"zero issues", r"no issues", r"going strong", r"more of this", r"give (?:that|her|him|them) a raise",
    r"fair play", r"5 stars", r"10/10", r"give (?:that|the) \w+ a raise", r"genuinely", r"finally", r"enjoy\w*", r"happy", r"glad", r"wow",
    r"crushing it", r"killing it", r"killed it", r"insane(?:ly)?", r"incredible", r"beautiful", r"stunning",
    r"felt (?:very )?safe", r"built like a tank", r"night and day", r"the future", r"sorcery", r"teleport",
    r"treat", r"🔥", r"😍", r"🥹", r"🙏", r"❤️?", r"💕", r"😊", r"🥰", r"👌", r"💯", r"🎉", r"✨",
)
_PROBLEM = _extend(
    _PROBLEM,
    r"(?<!no )(?<!zero )(?<!any )issues?", r"(?<!no )(?<!zero )(?<!any )problems?", r"trouble", r"complain\w*",
    r"bad", r"poor(?:ly)?", r"sucks?", r"trash", r"garbage", r"rubbish", r"crap\w*", r"shit\w*",
    r"pathetic", r"disgrace\w*", r"shameful", r"absurd", r"rip ?off", r"fed up", r"sick of", r"tired of",
    r"done with", r"unhappy", r"upset", r"angry", r"furious", r"livid", r"annoyed", r"lied", r"lying",
    r"misled", r"misleading", r"fake", r"hung up", r"overdue", r"hasn'?t (?:arrived|come|shown)",
    r"unprofessional", r"incompetent", r"ugh+", r"nightmare", r"scam\w*",
)
_PROBLEM_MARKS = re.compile(_PROBLEM_MARKS.pattern + r"|😞|😢|😭|🤦|😑|💔")
_PRAISE = _extend(
    _PRAISE,
    r"appreciate\w*", r"helpful", r"recommend\w*", r"delicious", r"tasty", r"yum\w*", r"gorgeous",
    r"cute", r"excited", r"can'?t wait", r"proud", r"congrat\w*", r"bravo", r"kind", r"friendly",
    r"sweet", r"pleased", r"satisfied", r"joy", r"wonderful", r"worth it", r"solid", r"reliable",
    r"seamless", r"painless", r"hassle[- ]free", r"never had (?:a|an|any) (?:problem|issue)",
    r"lol", r"lmao+", r"haha\w*", r"👍", r"🙌", r"😂", r"🤣", r"💪", r"🥳", r"😁", r"😄",
)
_RESOLVED = _rx(
    r"works? again", r"working again",
    r"(?:is|are|'s|s|it'?s|we'?re|signal'?s|internet) (?:so )?back(?! to)(?: up| on| online)?",
    r"back (?:up|online|on)", r"(?:already |all |got it |has been |was |been )fixed", r"fixed[!.,]", r"sorted(?: it| now)?[!.,]?",
    r"(?:all )?sorted", r"resolved", r"went through", r"(?:refund|money|payment|it) (?:has )?(?:landed|arrived|came through|cleared)",
    r"got my (?:refund|money)", r"(?:turned|showed) up", r"found my", r"all good(?: now)?", r"panic over",
    r"false alarm", r"no longer", r"thanks for (?:sorting|fixing|escalating|chasing|the quick)",
    r"thank you for (?:sorting|fixing|escalating|chasing)", r"sorry for the (?:angry|rant)",
)
#: Wanting it fixed is not having it fixed ("need this fixed today", "when will it be back").
_NOT_YET = re.compile(
    r"(?:need|needs|get|getting|want|please|pls|be|yet|until|when|if|to|will|should|must|can|could|not|never|isn'?t|hasn'?t)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)
_REQUEST = _rx(
    r"how (?:do|can|should|would) (?:i|we)", r"how to", r"can (?:i|we|you|someone|somebody|anyone at)",
    r"could (?:you|someone|somebody)", r"would you", r"is there (?:a|any) (?:way|option|incident|outage|problem)",
    r"is there an (?:incident|outage|issue)", r"where (?:do|can) (?:i|we)", r"who do (?:i|we)",
    r"what (?:do|should) (?:i|we)", r"what should i do",
    r"is (?:it|this|that|the \w+(?: \w+){0,2}) (?:safe|ok|okay) to", r"any help", r"(?:dm'?d|dmed|messaged|dming|sent) you",
    r"sent you a dm", r"please (?:check|help|look|advise|update|lock|call|contact|send)", r"can someone",
    r"need (?:help|to (?:change|cancel|update|move|fix|know))",
)
_NEWS = _rx(
    r"breaking", r"according to", r"says the press release", r"press release", r"announces?", r"announced",
    r"reports? say", r"court filings", r"faces? (?:a )?(?:class action|lawsuit|fine|probe)", r"to be contacted",
    r"seen by", r"link in (?:bio|my bio)", r"use (?:my )?code", r"promo code", r"\d+% off", r"giveaway",
    r"free \w+ for life", r"verify (?:now|your account) at", r"dot (?:net|com)", r"click (?:here|the link)",
    r"customers:", r"drivers!+", r"blog", r"if anyone'?s",
)
#: The brand set against the real target of the negativity ("…but at least @brand…").
_OTHER_TARGET = _rx(
    r"at least", r"thank god for", r"saved by", r"switched to", r"carrying", r"still made it",
    r"nobody to blame", r"(?:my|the) (?:old|previous) (?:bank|provider|phone|car|airline|company)",
    r"i'?m fine", r"(?:i|we) (?:am|are) fine",
)
#: Praise in alarm words: "this update is fire", "killer deal", "should be illegal".
_IDIOM = _rx(
    r"(?:is|so|was|looks?|sounds?|pure|straight|absolute|lowkey|honestly) fire", r"fire 🔥", r"🔥+",
    r"killer (?:deal|price|app|feature)", r"died laughing", r"dying laughing", r"should be illegal",
    r"legally blind\w*", r"daylight robbery", r"call the police", r"killed me", r"killing me",
    r"destroyed me", r"in pieces", r"scary (?:fast|good)", r"dead serious", r"insane",
)
_NEGATORS = re.compile(
    r"\b(?:not|no longer|never|nothing|without|no sign of|nor|isn'?t|wasn'?t|aren'?t|weren'?t|don'?t|doesn'?t|didn'?t|hasn'?t|haven'?t|hadn'?t|won'?t|wouldn'?t|can'?t|couldn'?t|shouldn'?t|ain'?t)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_HYPOTHETICAL = re.compile(
    r"(?:\bif|\bwhether|\bin case|\bscared|\bworried|\bafraid|\bwhat if|\basking if|\bwonder(?:ing)? if|\bis it|\bare they|\bhas that)\b[^.!?]*$",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[.!?;\n]+|\s(?:but|however|though|although|except)\s", re.IGNORECASE)
_CONTRAST = re.compile(r"\b(?:but|however|though|although|except|still)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Cue:
    """One situation cue found in a post."""

    situation: str
    evidence: str
    #: Why it does not count ("negated", "resolved", "hypothetical", "praise idiom"), or "".
    discounted: str = ""

    @property
    def counts(self) -> bool:
        return not self.discounted


@dataclass(frozen=True, slots=True)
class Reading:
    """What the words of a post say, before any model score is weighed."""

    cues: tuple[Cue, ...]
    problems: tuple[str, ...]
    praise: tuple[str, ...]
    resolved: str | None
    request: str | None
    news: str | None
    #: The brand is the good part of a post whose negativity is about something else.
    other_target: str | None
    #: Praise words said the other way round; they then count as problems.
    sarcasm: str | None = None
    #: A question anyone could answer ("is it worth it?", "do you still do…?").
    asks_others: str | None = None
    #: The author says the alarming words are good news ("in a good way", "I'm fine").
    positive_turn: str | None = None

    @property
    def situations(self) -> tuple[Cue, ...]:
        """Cues that count, strongest situation first, one per situation."""
        seen: dict[str, Cue] = {}
        for cue in self.cues:
            if cue.counts and cue.situation not in seen:
                seen[cue.situation] = cue
        return tuple(seen[s] for s in SITUATIONS if s in seen)

    @property
    def discounted(self) -> tuple[Cue, ...]:
        return tuple(c for c in self.cues if not c.counts)


def _clause_start(text: str, at: int) -> int:
    start = 0
    for m in _CLAUSE.finditer(text, 0, at):
        start = m.end()
    return start


def _find_all(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    return list(pattern.finditer(text))


def _resolution(text: str) -> tuple[str | None, int]:
    """The last real resolution in ``text`` and where it ends (-1 when none)."""
    found, end = None, -1
    for m in _RESOLVED.finditer(text):
        before = text[_clause_start(text, m.start()) : m.start()]
        if _NOT_YET.search(before) or text[m.end() : m.end() + 5].lstrip().startswith("?"):
            continue
        found, end = m.group(0), m.end()
    return found, end


def _discount(text: str, m: re.Match[str], idioms: Iterable[re.Match[str]], resolved_end: int,
              contrast_after: bool) -> str:
    for idiom in idioms:
        if idiom.start() <= m.start() < idiom.end() or m.start() <= idiom.start() < m.end():
            return "praise idiom"
    before = text[_clause_start(text, m.start()) : m.start()]
    if _NEGATORS.search(before):
        return "negated"
    if _HYPOTHETICAL.search(before):
        return "hypothetical"
    if resolved_end >= 0 and (m.start() < resolved_end or not contrast_after):
        return "resolved"
    return ""


def _elsewhere(text: str, names: Iterable[str], problems: tuple[str, ...]) -> str | None:
    """The brand's clause is praise or "at least…" while the problems are elsewhere.

    The brand's clause is cut where a marker turns to another target ("…so I have
    nobody to blame…", "…after my old bank froze…"). Praise of the brand *before* a
    contrast is a complaint that opens politely ("thanks for X, but now Y is broken").
    """
    names = [n for n in names if n]
    clauses = [(a, b) for a, b in _clause_spans(text) if names_brand(text[a:b], names)]
    if len(clauses) != 1 or not problems:
        return None
    a, b = clauses[0]
    marker = _OTHER_TARGET.search(text)
    at = next((m.end() for n in names if (m := _name_at(text, n, a, b))), a)
    inside = _OTHER_TARGET.search(text, at, b)
    if inside is not None:
        b = inside.start()
    clause = text[a:b]
    if _PROBLEM.search(clause) or _PROBLEM_MARKS.search(clause) or _SARCASM.search(clause):
        return None
    praise = _PRAISE.search(clause)
    later = _PROBLEM.search(text, b) or _PROBLEM_MARKS.search(text, b)
    if marker is not None:
        return marker.group(0)
    if praise is not None and not later:
        return praise.group(0)
    return None


def _trailing_praise(text: str, problems: tuple[str, ...]) -> re.Match[str] | None:
    if not problems:
        return None
    return _CLOSING_PRAISE.search(text.rstrip())


def _clause_spans(text: str) -> list[tuple[int, int]]:
    starts = [0, *(m.end() for m in _CLAUSE.finditer(text))]
    ends = [m.start() for m in _CLAUSE.finditer(text)] + [len(text)]
    return list(zip(starts, ends, strict=True))


def _name_at(text: str, name: str, a: int, b: int) -> re.Match[str] | None:
    key = name.casefold().lstrip("@").split()
    if not key:
        return None
    return re.compile(re.escape(key[0]), re.IGNORECASE).search(text, a, b)


def read(text: str, names: Iterable[str] = ()) -> Reading:
    """Read ``text`` (a post as its author wrote it); ``names`` are the brand's names and
    handles, to tell the brand's clause from the rest."""
    clean = text.replace("\u2019", "'").replace("\u2018", "'")
    resolved, resolved_end = _resolution(clean)
    contrast_after = resolved_end >= 0 and bool(_CONTRAST.search(clean, resolved_end))
    idioms = _find_all(_IDIOM, clean)
    cues: list[Cue] = []
    negations: list[tuple[int, int]] = []
    for situation, pattern in _SITUATION_CUES.items():
        for m in pattern.finditer(clean):
            why = _discount(clean, m, idioms, resolved_end, contrast_after)
            cues.append(Cue(situation, m.group(0), why))
            if why in ("negated", "hypothetical"):
                negations.append((_clause_start(clean, m.start()), m.end()))
    # "my lawyer will hear about this (I do not have a lawyer)": a cue its author takes
    # back elsewhere in the post does not count anywhere in it.
    negated = {(c.situation, c.evidence.casefold()) for c in cues if c.discounted == "negated"}
    cues = [
        Cue(c.situation, c.evidence, "contradicted")
        if c.counts and (c.situation, c.evidence.casefold()) in negated else c
        for c in cues
    ]
    start = resolved_end if resolved is not None and contrast_after else 0
    quiet = [*((i.start(), i.end()) for i in idioms), *negations]
    problems = tuple(
        m.group(0) for m in _PROBLEM.finditer(clean, start)
        if not any(a <= m.start() < b for a, b in quiet)
    )
    problems += tuple(m.group(0) for m in _PROBLEM_MARKS.finditer(clean, start))
    if resolved is not None and not contrast_after:
        problems = ()
    praise = tuple(
        m.group(0) for m in _PRAISE.finditer(clean)
        if not _CONTRAST.search(clean, m.end())  # "love the oil but it snapped"
        or not (_PROBLEM.search(clean, m.end()) or _PROBLEM_MARKS.search(clean, m.end()))
    )
    sarcasm = _SARCASM.search(clean) or _trailing_praise(clean, problems)
    if sarcasm is not None and problems:
        problems, praise = problems + praise, ()
    request = _REQUEST.search(clean)
    news = _NEWS.search(clean)
    names = tuple(names)
    other = _elsewhere(clean, names, problems) if names else None
    if other is None and not names and praise:
        found = _OTHER_TARGET.search(clean)
        other = found.group(0) if found else None
    asks = _ASKS_OTHERS.search(clean)
    return Reading(
        cues=tuple(cues),
        problems=problems,
        praise=praise,
        resolved=resolved if resolved is not None and not contrast_after else None,
        request=request.group(0) if request else None,
        news=news.group(0) if news else None,
        other_target=other,
        sarcasm=sarcasm.group(0) if sarcasm is not None and problems else None,
        asks_others=asks.group(0) if asks else None,
        positive_turn=turn.group(0) if (turn := _POSITIVE_TURN.search(clean)) else None,
    )


_SPACE = re.compile(r"[\s_\-.]+")


def names_brand(text: str, names: Iterable[str]) -> bool:
    """Whether ``text`` names one of ``names`` (brand names or handles, any case/spacing)."""
    folded = _SPACE.sub("", text.casefold())
    words = set(re.findall(r"\w+", text.casefold()))
    for name in names:
        key = _SPACE.sub("", name.casefold().lstrip("@"))
        if len(key) >= 3 and key in folded:
            return True
        # "Rift Forge" for "Rift Forge Games", "Aurex" for "Aurex Motors".
        parts = name.casefold().split()
        for k in range(len(parts) - 1, 0, -1):
            head = "".join(parts[:k])
            if len(head) >= 5 and (head in words or (k > 1 and head in folded)):
                return True
    return False
