"""Synthetic but realistic UK company descriptions, for benchmarks and model checks.

Deterministic for a given seed; no data files. Each description mixes a sector's products,
customers and capabilities with generic business phrases, like a website "about us" text.

Example:
    >>> from scripts.synthetic_companies import company_descriptions, company_sentences
    >>> len(company_descriptions(3, seed=1))
    3
    >>> len(company_sentences(5)) == 5
    True
"""

from __future__ import annotations

import random

SECTORS: dict[str, dict[str, list[str]]] = {
    "medical devices": {
        "products": [
            "surgical instruments",
            "orthopaedic implants",
            "diagnostic test kits",
            "wound care dressings",
            "patient monitoring equipment",
            "catheters",
        ],
        "customers": ["NHS trusts", "private hospitals", "clinical laboratories", "GP surgeries"],
        "capabilities": [
            "ISO 13485 certified manufacturing",
            "clean room assembly",
            "regulatory affairs support",
            "sterilisation and validation",
        ],
    },
    "aerospace": {
        "products": [
            "precision machined components",
            "turbine blades",
            "landing gear parts",
            "aircraft interiors",
            "composite structures",
            "avionics harnesses",
        ],
        "customers": [
            "tier one aerospace suppliers",
            "airlines",
            "defence primes",
            "maintenance and repair organisations",
        ],
        "capabilities": [
            "AS9100 approved quality systems",
            "five axis CNC machining",
            "non destructive testing",
            "heat treatment",
        ],
    },
    "automotive": {
        "products": [
            "pressed steel body panels",
            "wiring looms",
            "brake components",
            "electric vehicle battery packs",
            "interior trim",
            "exhaust systems",
        ],
        "customers": ["vehicle manufacturers", "motorsport teams", "tier two suppliers"],
        "capabilities": [
            "robotic welding",
            "IATF 16949 certification",
            "tooling design",
            "just in time delivery",
        ],
    },
    "software": {
        "products": [
            "cloud accounting software",
            "cyber security monitoring",
            "mobile apps",
            "data analytics platforms",
            "e-commerce websites",
            "customer relationship management tools",
        ],
        "customers": ["small businesses", "local authorities", "retailers", "financial firms"],
        "capabilities": [
            "agile development",
            "machine learning",
            "managed hosting",
            "penetration testing",
            "API integration",
        ],
    },
    "food manufacturing": {
        "products": [
            "artisan bread",
            "cakes and pastries",
            "ready meals",
            "craft beer",
            "cheese",
            "chocolate confectionery",
            "sausages and cured meats",
        ],
        "customers": ["supermarkets", "farm shops", "cafes and restaurants", "wholesalers"],
        "capabilities": [
            "BRC accredited production",
            "small batch baking",
            "food safety management",
            "chilled distribution",
        ],
    },
    "logistics": {
        "products": [
            "road haulage",
            "warehousing",
            "pallet distribution",
            "freight forwarding",
            "same day courier services",
            "cold chain storage",
        ],
        "customers": ["manufacturers", "online retailers", "importers and exporters"],
        "capabilities": [
            "a fleet of 40 vehicles",
            "bonded warehouse facilities",
            "real time tracking",
            "customs clearance",
        ],
    },
    "renewable energy": {
        "products": [
            "solar panel installation",
            "heat pumps",
            "battery storage systems",
            "wind turbine maintenance",
            "electric vehicle charge points",
            "biomass boilers",
        ],
        "customers": ["homeowners", "commercial landlords", "farms", "housing associations"],
        "capabilities": [
            "MCS accredited installers",
            "energy audits",
            "grid connection design",
            "operations and maintenance contracts",
        ],
    },
    "construction": {
        "products": [
            "new build housing",
            "commercial fit out",
            "groundworks",
            "roofing",
            "steel frame buildings",
            "refurbishment of listed buildings",
        ],
        "customers": ["developers", "schools", "housing associations", "private clients"],
        "capabilities": [
            "CHAS accredited health and safety",
            "project management",
            "design and build",
            "civil engineering",
        ],
    },
    "professional services": {
        "products": [
            "management consultancy",
            "accountancy and tax advice",
            "employment law",
            "recruitment",
            "architectural design",
            "payroll services",
        ],
        "customers": ["owner managed businesses", "charities", "public sector bodies"],
        "capabilities": [
            "chartered accountants",
            "qualified solicitors",
            "bespoke training",
            "strategic planning",
        ],
    },
    "life sciences": {
        "products": [
            "drug discovery services",
            "contract research",
            "cell therapies",
            "laboratory reagents",
            "clinical trial management",
            "genomic sequencing",
        ],
        "customers": ["pharmaceutical companies", "biotech start ups", "universities"],
        "capabilities": [
            "GMP laboratories",
            "analytical chemistry",
            "bioinformatics",
            "regulatory submissions",
        ],
    },
    "creative industries": {
        "products": [
            "video production",
            "graphic design",
            "video games",
            "brand strategy",
            "photography",
            "animation",
        ],
        "customers": ["agencies", "broadcasters", "consumer brands", "publishers"],
        "capabilities": [
            "in house studio",
            "motion capture",
            "social media campaigns",
            "award winning creative team",
        ],
    },
    "advanced materials": {
        "products": [
            "carbon fibre composites",
            "technical ceramics",
            "specialist polymers",
            "metal powders for additive manufacturing",
            "coatings",
            "graphene inks",
        ],
        "customers": ["aerospace manufacturers", "energy companies", "electronics firms"],
        "capabilities": [
            "materials testing",
            "additive manufacturing",
            "process scale up",
            "research and development partnerships",
        ],
    },
}

OPENERS = [
    "{name} is a family owned business founded in {year}.",
    "Established in {year}, {name} is based in {town}.",
    "{name} is a {town} based company.",
    "Since {year} {name} has grown into a trusted partner.",
]
SENTENCES = [
    "We specialise in {product} and {product2} for {customer}.",
    "Our team provides {product} to {customer} across the Midlands and the UK.",
    "We offer {capability} and {capability2}.",
    "Our customers include {customer} and {customer2}.",
    "With {capability}, we deliver {product} on time and on budget.",
    "The company designs, manufactures and supplies {product}.",
    "We are proud to support {customer} with {product}.",
    "Our services range from {product} to {product2}.",
]
CLOSERS = [
    "Contact us today for a free quotation.",
    "We are committed to quality, sustainability and customer service.",
    "Our experienced staff are here to help.",
    "We employ {staff} people at our site in {town}.",
]
TOWNS = [
    "Birmingham",
    "Coventry",
    "Derby",
    "Leicester",
    "Nottingham",
    "Wolverhampton",
    "Stoke-on-Trent",
    "Lincoln",
    "Telford",
    "Northampton",
    "Worcester",
    "Hereford",
]
NAME_PARTS = [
    "Midland",
    "Apex",
    "Central",
    "Heart of England",
    "Trent",
    "Severn",
    "Peak",
    "Forge",
    "Charnwood",
    "Arden",
    "Mercia",
    "Castle",
]


def _fill(template: str, rng: random.Random, sector: dict[str, list[str]], name: str) -> str:
    def two(key: str) -> tuple[str, str]:
        a, b = rng.sample(sector[key], 2)
        return a, b

    product, product2 = two("products")
    customer, customer2 = two("customers")
    capability, capability2 = two("capabilities")
    return template.format(
        name=name,
        year=rng.randint(1950, 2022),
        town=rng.choice(TOWNS),
        product=product,
        product2=product2,
        customer=customer,
        customer2=customer2,
        capability=capability,
        capability2=capability2,
        staff=rng.randint(5, 400),
    )


def company_descriptions(n: int, seed: int = 0, words: int = 80) -> list[tuple[str, str]]:
    """``n`` ``(sector, description)`` pairs, each description about ``words`` words long."""
    rng = random.Random(seed)
    sectors = list(SECTORS)
    out = []
    for _ in range(n):
        sector_name = rng.choice(sectors)
        sector = SECTORS[sector_name]
        name = f"{rng.choice(NAME_PARTS)} {sector_name.split()[0].title()} Ltd"
        parts = [_fill(rng.choice(OPENERS), rng, sector, name)]
        while sum(len(p.split()) for p in parts) < words - 8:
            parts.append(_fill(rng.choice(SENTENCES), rng, sector, name))
        parts.append(_fill(rng.choice(CLOSERS), rng, sector, name))
        out.append((sector_name, " ".join(parts)))
    return out


def company_sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` single company sentences (short texts, like a filing's principal activity)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sector_name = rng.choice(list(SECTORS))
        name = f"{rng.choice(NAME_PARTS)} {sector_name.split()[0].title()} Ltd"
        out.append(_fill(rng.choice(SENTENCES + OPENERS), rng, SECTORS[sector_name], name))
    return out
