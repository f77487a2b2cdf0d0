# ruff: noqa: E501 -- lexicons: one alternative per string reads better than split regexes
"""The vocabularies the decision reads posts with (``reading.read`` applies them).

Kinds of words, not phrases of any one post: what is at stake (a situation per urgency
reason), how people write a problem, praise, a resolution, a request, news or spam, and
the small words that turn a cue around (negation, hypotheticals, idioms, contrast).
"""

from __future__ import annotations

import re

__all__ = [
    "ASKS_OTHERS", "CLAUSE", "CLOSING_PRAISE", "CONTRAST", "HYPOTHETICAL", "IDIOM", "NEGATORS",
    "NEWS", "NOT_YET", "OTHER_TARGET", "POLITE", "POSITIVE_TURN", "PRAISE", "PROBLEM", "PROBLEM_MARKS",
    "REQUEST", "RESOLVED", "SARCASM", "SITUATION_CUES", "THREAT_AFTER",
]


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w@])(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


_N = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|many|few)"
_DURATION = rf"{_N}\+?\s*(?:mins?|minutes?|hrs?|hours?|days?|weeks?|wks?|months?)"

SITUATION_CUES: dict[str, re.Pattern[str]] = {
    "safety": _rx(
        r"(?:caught|on|burst into|catch(?:ing)?) (?:fire|flames?)", r"flames?", r"fire(?! alarm)",
        r"smoke(?! alarm)", r"fire brigade",
        r"fire (?:department|service|fighters?)", r"smok(?:ing|ed)", r"smoke (?:coming|from|out)",
        r"spark(?:s|ing|ed)", r"explod\w*", r"explosion", r"burn(?:t|ed|s)? (?:my|his|her|our)",
        r"burns?", r"too hot to touch", r"overheat\w*", r"melt(?:ed|ing)", r"swoll?en",
        r"injur\w*", r"bleed\w*", r"blood (?:everywhere|all over|on (?:my|the|his|her))", r"hospital", r"ambulance", r"a&e", r"paramedics?",
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
        r"(?:taken|took|taking|stole|stolen|gone from|drained) (?:my |our )?(?:money|£|\$|€|₹|funds|savings)",
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
        r"won'?t (?:load|open|start|connect)", r"every single (?:show|title|page|film|game|video|song|episode)",
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
SITUATION_CUES["safety"] = _extend(
    SITUATION_CUES["safety"],
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
SITUATION_CUES["stranded"] = _extend(
    SITUATION_CUES["stranded"],
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
SITUATION_CUES["money"] = _extend(
    SITUATION_CUES["money"],
    r"charged (?:me |us )?[£$€]\s?\d", r"(?:took|taken|deducted|debited|withdrew|withdrawn|pulled) [£$€]\s?\d",
    r"double (?:charge|payment|billed|billing)", r"charged (?:me )?(?:for nothing|without)",
    r"(?:haven'?t|have not|never|still not|still haven'?t) (?:received|got|gotten|seen) (?:my |a |the |our )?(?:refund|money|payment|deposit|payout|reimbursement)",
    r"(?:my|our) (?:deposit|savings|payout|paycheck|wages)", r"refund (?:still|never|hasn'?t)",
    r"scam(?:med)? me", r"stole", r"stealing", r"theft", r"hacked", r"(?:didn'?t|did not|never) (?:authori[sz]e|approve|agree to)",
    r"disput\w+ (?:the|a|this) charge", r"still (?:being )?(?:charged|billed|charging|billing)", r"(?:keep|keeps|kept) charging",
)
SITUATION_CUES["outage"] = _extend(
    SITUATION_CUES["outage"],
    r"not working at all", r"(?:app|site|website|service|server|network|system|portal|checkout|payments?|internet|wifi|broadband) (?:is |are |keeps |has been )?(?:not working|broken|crashing|offline|unavailable|dead)",
    r"offline", r"can'?t (?:connect|load|stream|pay|check ?out|place an order)",
    r"(?:no|lost|zero) (?:wifi|wi-fi|broadband|connection|coverage|reception|network|dial tone)",
    r"won'?t (?:let me )?(?:log ?in|sign in|connect|load|open)", r"(?:keeps|kept) (?:crashing|failing)",
    r"unusable", r"nothing (?:works|is working|loads)",
)
SITUATION_CUES["legal"] = _extend(
    SITUATION_CUES["legal"],
    r"su(?:e|ing)", r"(?<!food )court", r"legal", r"discriminat\w*", r"data breach", r"breach(?:ed)? (?:of )?(?:my|the) \w+",
    r"watchdog", r"consumer (?:affairs|council|board|group)", r"report(?:ed|ing)? (?:this |you |it |them )?to the (?:police|authorities|council|state)",
    r"police report", r"my rights",
)
SITUATION_CUES["press"] = _extend(
    SITUATION_CUES["press"],
    r"my (?:followers|following)", r"(?:blog|video|thread|story|article|tiktok|youtube) about (?:this|you|it)",
    r"going public", r"(?:tv|media) (?:station|outlet)", r"influencer", r"content creator",
)


# Constructions rather than phrases: a part and what went wrong with it, within a clause
# ("brake pedal went almost to the floor", "battery is puffed up like a pillow"), a
# service and its absence ("internet has been out since 7am"), an amount and a charge.
_W = r"[^.!?\n]{0,40}?"  # the rest of the clause, a few words
_AMOUNT = r"(?:[£$€₹]\s?\d[\d,.]*|\d[\d,.]*\s?(?:quid|dollars|euros|pounds|bucks|rs\.?|inr|usd|gbp))"
_SERVICE = r"(?:internet|wi-?fi|broadband|power|electricity|water|gas|signal|service|network|data|line|servers?|app|site|website|system|platform|portal)"
SITUATION_CUES["safety"] = _extend(
    SITUATION_CUES["safety"],
    rf"(?:brakes?|brake pedal|steering|accelerator|throttle|tyres?|tires?|wheel){_W}(?:fail\w*|gave out|to the floor|spongy|locked up|stuck open|came off|blew out|not working|stopped working)",
    rf"batter(?:y|ies){_W}(?:puff\w*|swell\w*|swollen|bulg\w*|expand\w*|leak\w*|hot|smok\w*|hiss\w*)",
    r"gas smell", r"smells? (?:like|of) (?:gas|burning|smoke|electrical)", r"burning smell",
    r"(?:wrong|someone else'?s|different|another (?:person|patient)'?s?) (?:drug|medicine|medication|meds|tablets?|pills?|dose|prescription)",
    rf"(?:tablets?|pills?|meds|medication|medicine|drugs?){_W}(?:for|belong to|belonging to) (?:someone|somebody) else",
    r"(?:ran|run|running|went through|jump\w*) (?:a |two |\d |several )?red lights?", r"on (?:his|her|their) phone (?:the whole|while|all)",
    rf"(?:exposed|bare|loose|hanging){_W}wires?", r"wires? (?:exposed|hanging|sparking)", r"electrocut\w*",
    r"(?:nuts?|gluten|dairy|shellfish|sesame|egg)\b[^.!?\n]{0,30}(?:allerg\w*|reaction)", r"epi-?pen",
)
SITUATION_CUES["stranded"] = _extend(
    SITUATION_CUES["stranded"],
    r"where (?:am i|are we|do i|do we) (?:meant|supposed) to (?:go|sleep|stay)", r"(?:alone|by myself|on my own) (?:outside|at|in the|on the)",
    r"(?:phone|battery)(?: is|'s)? (?:on|at|down to) \d+ ?%", r"(?:\d+|one|two|three|last) (?:doses?|pens?|pills|tablets|days? of (?:meds|medication|insulin|tablets))(?: are| is)? left",
    r"(?:no record of|can'?t find|cancell?ed) my (?:booking|reservation|room)", r"(?:they'?re|hotel is|it'?s) (?:full|fully booked)",
    r"no (?:cars?|taxis?|drivers?|buses|trains?|rooms?) (?:available|left|running)", r"(?:last|only) (?:train|bus|ferry) (?:home )?(?:was |got )?cancell?ed",
)
SITUATION_CUES["money"] = _extend(
    SITUATION_CUES["money"],
    rf"(?:charged|billed|debited|taken|took|deducted){_W}since (?:i |we )?(?:cancel\w*|closed|left|returned)",
    rf"(?:charges?|payments?|debits?){_W}(?:i|we) (?:never|didn'?t|did not) (?:agree|authori[sz]e|make|approve|order)\w*",
    r"never agreed to", r"(?:money|payment|cash|funds) (?:has |have )?(?:left|gone from|came out of|taken from) (?:my|our) (?:bank|account|card)",
    rf"{_AMOUNT}{_W}(?:x ?2|twice|two times|instead of {_AMOUNT})", rf"bill{_W}{_AMOUNT}", rf"(?:took|taken|charged|debited|deducted) (?:me )?(?:out )?{_W}twice",
    rf"(?:payout|reimbursement|compensation|cashback|refund|deposit|money){_W}(?:still|never|not|hasn'?t|haven'?t|yet to)\s+(?:\w+ )?(?:arrived|come|landed|received|paid|shown|credited|reflected)",
    r"(?:yet to|still (?:to|haven'?t|have not)) (?:receive|get|see)\w* (?:my |the |our )?(?:refund|money|payout|payment|funds)",
    r"(?:not|never) (?:been )?(?:credited|reflected|refunded|reversed)", r"(?:amount|money) (?:was |got |has been )?debited",
)
SITUATION_CUES["outage"] = _extend(
    SITUATION_CUES["outage"],
    rf"{_SERVICE} (?:has been |have been |is |are |'s |s |been |went |was |keeps going |goes )?(?:out|off|dead|gone|offline|down)\b(?! of)",
    r"(?:out|off|dead|down|offline) (?:since|for (?:\d|the|over|hours|days|a))",
    r"(?:fails?|failing|failed|errors?|erroring|crash\w*) (?:every (?:single )?time|each time|at (?:the )?(?:payment|checkout|login|log in|sign in))",
    r"(?:can'?t|cannot|unable to|won'?t let (?:me|us)) (?:get )?past the (?:loading|login|log ?in|sign ?in|title) (?:screen|page)",
    r"(?:locked|kicked) (?:out of|us out of|me out of) (?:our|my|the) (?:workspace|account|org\w*|app|dashboard)",
    r"(?:nothing|none of (?:our|my|the) \w+) (?:will |would |wants to )?(?:load|play|open|work)s?",
)
SITUATION_CUES["press"] = _extend(
    SITUATION_CUES["press"],
    r"writ(?:e|ing) (?:up |about )(?:my|this|it|the|you)", r"(?:travel|money|consumer|business|tech) (?:section|desk|pages?)",
    r"my (?:newsletter|column|readers)", r"for (?:the|a|my) (?:paper|newsletter|podcast|magazine)",
)


# -- stance ------------------------------------------------------------------------------

PROBLEM = _rx(
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
    r"thanks for nothing", r"trying to", r"yet to", r"keeps? (?:saying|telling|asking|failing|spinning)",
)
#: Marks that need no word boundary: emoji, "??", and the brand's own words in scare
#: quotes ("arriving today" for 4 days), which praise rarely uses.
PROBLEM_MARKS = re.compile(r"🙃|🙄|😡|😤|🤬|😩|😕|😠|👎|😒|\?\?+|!!+|\"[^\"]{2,40}\"")
#: Praise words said the other way round ("love that for me 🙃", "oh great,").
SARCASM = re.compile(
    r"🙃|🙄|\blove (?:how|that for me|it when)|\boh (?:great|good|joy|wonderful)|^great,|\bcool cool"
    r"|\bwhat a time to be alive|\bnothing says|\bwould recommend if|\bfeeling valued|\bvery thoughtful"
    r"|\bsimply incredible|\bgotta love|\bjust what i needed|\bthanks for the (?:\d+(?:st|nd|rd|th)|third|fourth)"
    r"|\bfor the (?:\d+(?:st|nd|rd|th)|third|fourth|fifth) (?:time|\")|\breally great stuff|\bcheers for the"
    r"|\bthanks? (?:you )?(?:so much |a lot )?for (?:\w+ ){0,3}(?:nothing|wasting|ruin\w*|unhelpful|useless|ignoring|losing|leaving|making me|cancel\w*|the (?:delay|wait))"
    r"|\b(?:impressive|amazing|great|stellar) (?:consistency|work|job|service)(?: honestly| as always)?[.!]*\s*$",
    re.IGNORECASE,
)
#: Short praise closing a list of problems is sarcasm ("…the call dropped. love it").
CLOSING_PRAISE = re.compile(
    r"(?:^|[.!?;,]\s*)(?:love it|lovely[^.!?]*|great|fun|cool|nice|brilliant|fantastic|perfect|amazing"
    r"|awesome|classic|wonderful|super|good times|great stuff)[.!?\s]*(?:\S{1,2})?\s*$",
    re.IGNORECASE,
)
#: The author says the alarming words are good news ("…in a good way").
POSITIVE_TURN = _rx(r"in a good way", r"not complaining", r"no complaints", r"(?:i'?m|we'?re) fine")
#: Thanks that close a request or a complaint ("… can you check? thank you"): politeness.
POLITE = _rx(r"thanks?(?: in advance| so much| a lot)?", r"thank you(?: in advance| so much)?", r"thx", r"ty", r"tia", r"cheers", r"🙏", r"regards", r"genuinely", r"wow")
#: A legal cue followed by what the author will do is a threat, even after an "if".
THREAT_AFTER = re.compile(r"\s*(?:will|'ll|is going to|are going to|gets?|hears?|is getting|shall|has (?:a|been))\b", re.IGNORECASE)
#: A question anyone could answer, not one about the author's own case.
ASKS_OTHERS = _rx(
    r"anyone (?:here |else )?(?:know|tried|driven|used|been|recommend)\w*", r"worth it",
    r"is \S+ legit", r"do you (?:still )?(?:do|sell|have|stock)", r"what time do", r"who'?s coming",
)
PRAISE = _rx(
    r"thanks?", r"thank you", r"thx", r"ty", r"cheers", r"love", r"loving", r"loved", r"great", r"amazing",
    r"awesome", r"brilliant", r"perfect\w*", r"best", r"excellent", r"fantastic", r"superb", r"impress\w*",
    r"well done", r"kudos", r"shout ?out", r"credit where", r"legends?", r"(?:a|absolute|total) gem", r"faith restored", r"bang on", r"spot on", r"hero", r"lifesaver", r"obsessed",
    r"slaps", r"top notch", r"can'?t complain", r"grateful", r"so (?:good|kind|nice|pretty|soft|easy|fast)",
    r"lovely", r"nice", r"pretty", r"easy", r"smooth", r"early", r"on time", r"quick(?:ly)?", r"fast",
    r"zero issues", r"no issues", r"going strong", r"more of this", r"give (?:that|her|him|them) a raise",
    r"fair play", r"5 stars", r"10/10", r"give (?:that|the) \w+ a raise", r"genuinely", r"finally", r"enjoy\w*", r"happy", r"glad", r"wow",
    r"crushing it", r"killing it", r"killed it", r"insane(?:ly)?", r"incredible", r"beautiful", r"stunning",
    r"felt (?:very )?safe", r"built like a tank", r"night and day", r"the future", r"sorcery", r"teleport",
    r"treat", r"should be illegal", r"daylight robbery", r"call the police", r"dead serious",
    r"scary (?:fast|good)", r"killer (?:deal|price|app|feature|setup|combo)", r"(?:is|so|was|straight) fire", r"witchcraft", r"🔥", r"😍", r"🥹", r"🙏", r"❤️?", r"💕", r"😊", r"🥰", r"👌", r"💯", r"🎉", r"✨",
)
PROBLEM = _extend(
    PROBLEM,
    r"(?<!no )(?<!zero )(?<!any )issues?", r"(?<!no )(?<!zero )(?<!any )problems?", r"trouble", r"complain\w*",
    r"bad", r"poor(?:ly)?", r"sucks?", r"trash", r"garbage", r"rubbish", r"crap\w*", r"shit\w*",
    r"pathetic", r"disgrace\w*", r"shameful", r"absurd", r"rip ?off", r"fed up", r"sick of", r"tired of",
    r"done with", r"unhappy", r"upset", r"angry", r"furious", r"livid", r"annoyed", r"lied", r"lying",
    r"misled", r"misleading", r"fake", r"hung up", r"overdue", r"hasn'?t (?:arrived|come|shown)",
    r"unprofessional", r"incompetent", r"ugh+", r"nightmare", r"scam\w*",
)
PROBLEM_MARKS = re.compile(PROBLEM_MARKS.pattern + r"|😞|😢|😭|🤦|😑|💔")
PRAISE = _extend(
    PRAISE,
    r"appreciate\w*", r"helpful", r"recommend\w*", r"delicious", r"tasty", r"yum\w*", r"gorgeous",
    r"cute", r"excited", r"can'?t wait", r"proud", r"congrat\w*", r"bravo", r"kind", r"friendly",
    r"sweet", r"pleased", r"satisfied", r"joy", r"wonderful", r"worth it", r"solid", r"reliable",
    r"seamless", r"painless", r"hassle[- ]free", r"never had (?:a|an|any) (?:problem|issue)",
    r"lol", r"lmao+", r"haha\w*", r"👍", r"🙌", r"😂", r"🤣", r"💪", r"🥳", r"😁", r"😄",
)
RESOLVED = _rx(
    r"works again", r"(?:it|they|things|both|all|now) work again", r"working again",
    r"(?:is|are|'s|s|it'?s|we'?re|signal'?s|internet) (?:so )?back(?! to)(?: up| on| online)?",
    r"back online", r"(?:already |all |got it |has been |was |been )fixed", r"fixed[!.,]", r"sorted(?: it| now)?[!.,]?",
    r"(?:all )?sorted", r"resolved", r"(?:payment|transfer|refund|order|transaction|it|booking|deploy)s? (?:finally )?went through", r"(?:refund|money|payment|it) (?:has )?(?:landed|arrived|came through|cleared)",
    r"got my (?:refund|money)", r"(?:turned|showed) up", r"un(?:blocked|frozen|locked|suspended)", r"reinstated", r"reactivated", r"restored",
    r"got there in the end", r"we got there", r"found my", r"all good(?: now)?", r"panic over",
    r"false alarm", r"no longer", r"thanks for (?:sorting|fixing|escalating|chasing|the quick)",
    r"thank you for (?:sorting|fixing|escalating|chasing)", r"sorry for the (?:angry|rant)",
)
#: Wanting it fixed is not having it fixed ("need this fixed today", "when will it be back").
NOT_YET = re.compile(
    r"(?:need|needs|get|getting|want|please|pls|be|yet|until|when|if|to|will|should|must|can|could|not|never|isn'?t|hasn'?t|haven'?t|havent|hasnt|didn'?t|didnt|still|waiting for)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)
REQUEST = _rx(
    r"how (?:do|can|should|would) (?:i|we)", r"how to", r"can (?:i|we|you|someone|somebody|anyone at)",
    r"could (?:you|someone|somebody)", r"would you", r"is there (?:a|any) (?:way|option|incident|outage|problem)",
    r"is there an (?:incident|outage|issue)", r"where (?:do|can) (?:i|we)", r"who do (?:i|we)",
    r"what (?:do|should) (?:i|we)", r"what should i do",
    r"is (?:it|this|that|the \w+(?: \w+){0,2}) (?:safe|ok|okay) to", r"any help", r"(?:dm'?d|dmed|messaged|dming|sent) you",
    r"sent you a dm", r"please (?:check|help|look|advise|update|lock|call|contact|send)", r"can someone",
    r"need (?:help|to (?:change|cancel|update|move|fix|know))", r"is it possible (?:to|for (?:me|us))",
    r"do (?:i|we) (?:need|have) to", r"what can (?:i|we) do", r"please (?:advise|assist|respond|reply|dm)",
    r"(?:can'?t|cannot|unable to) (?:find|figure out|work out) how", r"(?:any|need) (?:advice|assistance|support)",
    r"how (?:long|much|many) (?:do|does|will|would|should) (?:i|we|it)", r"(?:i|we) (?:want|would like|'d like) to (?:cancel|change|close|transfer|move|delete|report|know)",
)
NEWS = _rx(
    r"breaking(?=:| news)", r"^breaking", r"according to", r"says the press release", r"press release", r"announces?", r"announced",
    r"reports? say", r"court filings", r"faces? (?:a )?(?:class action|lawsuit|fine|probe)", r"to be contacted",
    r"seen by", r"link in (?:bio|my bio)", r"use (?:my )?code", r"promo code", r"\d+% off (?:your|everything|all|sitewide|today)", r"giveaway",
    r"free \w+ for life", r"verify (?:now|your account) at", r"dot (?:net|com)", r"click (?:here|the link)",
    r"customers:", r"drivers!+", r"blog", r"if anyone'?s",
)
#: The brand set against the real target of the negativity ("…but at least @brand…").
OTHER_TARGET = _rx(
    r"at least", r"thank god for", r"saved by", r"switched (?:\w+ )?to", r"moved (?:everything |it all |my \w+ )?(?:over )?to", r"carrying", r"still made it",
    r"nobody to blame", r"(?:my|the) (?:old|previous) (?:bank|provider|phone|car|airline|company)",
    r"i'?m fine", r"(?:i|we) (?:am|are) fine",
)
#: Praise in alarm words: "this update is fire", "killer deal", "should be illegal".
IDIOM = _rx(
    r"(?:is|so|was|looks?|sounds?|pure|straight|absolute|lowkey|honestly) fire", r"fire 🔥", r"🔥+",
    r"killer (?:deal|price|app|feature|setup|combo)", r"died laughing", r"dying laughing", r"should be illegal",
    r"legally blind\w*", r"daylight robbery", r"call the police", r"killed me", r"killing me",
    r"destroyed me", r"in pieces", r"scary (?:fast|good)", r"dead serious", r"insane",
)
NEGATORS = re.compile(
    r"\b(?:not|no longer|never|nothing|without|no sign of|nor|isn'?t|wasn'?t|aren'?t|weren'?t|don'?t|doesn'?t|didn'?t|hasn'?t|haven'?t|hadn'?t|won'?t|wouldn'?t|can'?t|couldn'?t|shouldn'?t|ain'?t)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
HYPOTHETICAL = re.compile(
    r"(?:\bif|\bwhether|\bin case|\bscared|\bworried|\bafraid|\bwhat if|\basking if|\bwonder(?:ing)? if|\bis it|\bare they|\bhas that)\b[^.!?]*$",
    re.IGNORECASE,
)
CLAUSE = re.compile(r"[.!?;\n]+|\s(?:but|however|though|although|except)\s", re.IGNORECASE)
CONTRAST = re.compile(r"\b(?:but|however|though|although|except|still)\b", re.IGNORECASE)
