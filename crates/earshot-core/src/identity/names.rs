//! The name, city and address data of the synthetic population (see
//! [`population`](super::population)): six cultures, each with real first names and surnames
//! at the head of its lists (most common first) and a synthetic tail built from roots and
//! endings that sound like the culture.

/// A city: name, phone country code, UTC offset in hours, country as people write it.
pub(crate) type City = (&'static str, &'static str, i32, &'static str);

pub(crate) struct Culture {
    /// ISO 639-1 code of the culture's language.
    pub language: &'static str,
    /// Share of persons.
    pub weight: f64,
    pub first: &'static [&'static str],
    /// Endings of synthetic first names (after a syllable root).
    pub first_endings: &'static [&'static str],
    pub surnames: &'static [&'static str],
    /// Endings of synthetic surnames.
    pub surname_endings: &'static [&'static str],
    /// Zipf–Mandelbrot offset of the surname distribution: small is concentrated (Spain,
    /// Brazil: the top ten surnames are a quarter of people), large is flat (France, Italy).
    pub surname_offset: f64,
    /// (first name, nickname)
    pub nicknames: &'static [(&'static str, &'static str)],
    /// Most populous first.
    pub cities: &'static [City],
    /// Local email providers (besides the global ones).
    pub domains: &'static [&'static str],
    /// People carry two surnames (paternal, maternal) and show both on some channels.
    pub two_surnames: bool,
}

/// Syllable roots of synthetic names: onset + vowel + coda ("Br" + "a" + "nd").
#[rustfmt::skip]
pub(crate) const ONSETS: &[&str] = &[
    "B", "Br", "C", "Ch", "D", "Dr", "F", "G", "Gr", "H", "J", "K", "L", "M", "N", "P", "R", "S",
    "Sh", "St", "T", "Tr", "V", "W",
];
pub(crate) const VOWELS: &[&str] = &["a", "e", "i", "o", "u"];
#[rustfmt::skip]
pub(crate) const CODAS: &[&str] = &[
    "l", "n", "r", "s", "t", "m", "nd", "rn", "ld", "st", "nt", "rk",
];

#[rustfmt::skip]
pub(crate) const CULTURES: [Culture; 6] = [
    Culture {
        language: "en",
        surname_offset: 30.0,
        weight: 0.45,
        first: &[
            "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
            "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
            "Thomas", "Sarah", "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa",
            "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra", "Emily", "Ashley",
            "Steven", "Kimberly",
        ],
        first_endings: &[
            "a", "en", "on", "ley", "lyn", "ie", "ton", "ric", "ette", "ian",
        ],
        surnames: &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White",
            "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
            "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts",
            "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards",
        ],
        surname_endings: &[
            "ford", "ley", "ton", "wood", "well", "by", "ham", "more", "wick", "field", "worth",
            "stone", "bridge", "croft", "dale", "hurst",
        ],
        nicknames: &[
            ("James", "Jim"), ("James", "Jimmy"), ("Robert", "Bob"), ("Robert", "Rob"),
            ("Michael", "Mike"), ("William", "Bill"), ("William", "Will"), ("David", "Dave"),
            ("Richard", "Rick"), ("Joseph", "Joe"), ("Thomas", "Tom"), ("Charles", "Chuck"),
            ("Christopher", "Chris"), ("Daniel", "Dan"), ("Matthew", "Matt"), ("Anthony", "Tony"),
            ("Steven", "Steve"), ("Elizabeth", "Liz"), ("Elizabeth", "Beth"), ("Jennifer", "Jen"),
            ("Patricia", "Pat"), ("Susan", "Sue"), ("Jessica", "Jess"), ("Margaret", "Maggie"),
            ("Kimberly", "Kim"), ("Sandra", "Sandy"), ("Barbara", "Barb"), ("Emily", "Em"),
        ],
        cities: &[
            ("New York", "1", -5, "USA"), ("Los Angeles", "1", -8, "USA"),
            ("Chicago", "1", -6, "USA"), ("London", "44", 0, "UK"), ("Houston", "1", -6, "USA"),
            ("Phoenix", "1", -7, "USA"), ("Philadelphia", "1", -5, "USA"),
            ("San Antonio", "1", -6, "USA"), ("San Diego", "1", -8, "USA"),
            ("Dallas", "1", -6, "USA"), ("Manchester", "44", 0, "UK"), ("Austin", "1", -6, "USA"),
            ("Seattle", "1", -8, "USA"), ("Denver", "1", -7, "USA"), ("Boston", "1", -5, "USA"),
            ("Atlanta", "1", -5, "USA"), ("Miami", "1", -5, "USA"), ("Leeds", "44", 0, "UK"),
            ("Portland", "1", -8, "USA"),
        ],
        domains: &["aol.com", "comcast.net", "btinternet.com", "att.net"],
        two_surnames: false,
    },
    Culture {
        language: "es",
        surname_offset: 5.0,
        weight: 0.17,
        first: &[
            "José", "María", "Antonio", "Carmen", "Manuel", "Ana", "Francisco", "Laura", "David",
            "Isabel", "Juan", "Lucía", "Javier", "Marta", "Daniel", "Cristina", "Carlos", "Elena",
            "Jesús", "Pilar", "Alejandro", "Sara", "Miguel", "Paula", "Rafael", "Raquel", "Pedro",
            "Rosa", "Pablo", "Beatriz",
        ],
        first_endings: &[
            "a", "o", "ia", "io", "ino", "ina", "el", "ela", "ián", "ana",
        ],
        surnames: &[
            "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
            "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
            "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
            "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Suárez", "Ortega",
            "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez",
        ],
        surname_endings: &[
            "ez", "es", "eda", "era", "ero", "illa", "ino", "ón", "ado", "ales", "ejo", "uela",
            "ueza", "anos", "ares", "oz",
        ],
        nicknames: &[
            ("José", "Pepe"), ("Francisco", "Paco"), ("Francisco", "Curro"), ("Manuel", "Manolo"),
            ("Antonio", "Toni"), ("Javier", "Javi"), ("Daniel", "Dani"), ("Alejandro", "Álex"),
            ("Rafael", "Rafa"), ("María", "Mari"), ("Isabel", "Isa"), ("Cristina", "Cris"),
            ("Jesús", "Chus"), ("Pilar", "Pili"), ("Beatriz", "Bea"),
        ],
        cities: &[
            ("Madrid", "34", 1, "España"), ("Barcelona", "34", 1, "España"),
            ("Valencia", "34", 1, "España"), ("Sevilla", "34", 1, "España"),
            ("Zaragoza", "34", 1, "España"), ("Málaga", "34", 1, "España"),
            ("Murcia", "34", 1, "España"), ("Palma", "34", 1, "España"),
            ("Las Palmas", "34", 0, "España"), ("Bilbao", "34", 1, "España"),
            ("Alicante", "34", 1, "España"), ("Córdoba", "34", 1, "España"),
            ("Valladolid", "34", 1, "España"), ("Vigo", "34", 1, "España"),
            ("Granada", "34", 1, "España"),
        ],
        domains: &["telefonica.net", "hotmail.es", "yahoo.es"],
        two_surnames: true,
    },
    Culture {
        language: "pt",
        surname_offset: 5.0,
        weight: 0.12,
        first: &[
            "João", "Maria", "José", "Ana", "Antônio", "Francisca", "Carlos", "Juliana", "Paulo",
            "Márcia", "Pedro", "Fernanda", "Lucas", "Patrícia", "Luiz", "Aline", "Marcos", "Sandra",
            "Luís", "Camila", "Gabriel", "Amanda", "Rafael", "Bruna", "Daniel", "Jéssica",
            "Marcelo", "Letícia", "Bruno", "Júlia",
        ],
        first_endings: &[
            "a", "o", "ane", "son", "ilda", "iel", "ete", "inho", "ara", "ei",
        ],
        surnames: &[
            "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
            "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
            "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade",
            "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Ramos",
            "Gonçalves", "Santana", "Teixeira", "Araújo", "Correia", "Pinto", "Azevedo", "Cunha",
        ],
        surname_endings: &[
            "eira", "inho", "ães", "ão", "oso", "ado", "ares", "elo", "ente", "ilha", "ota", "uda",
            "edo", "inha", "asco", "ato",
        ],
        nicknames: &[
            ("José", "Zé"), ("Antônio", "Tonho"), ("Carlos", "Cadu"), ("Daniel", "Dani"),
            ("Gabriel", "Gabi"), ("Rafael", "Rafa"), ("Maria", "Mari"), ("Juliana", "Ju"),
            ("Fernanda", "Nanda"), ("Camila", "Cami"), ("Bruna", "Bru"), ("Francisca", "Chica"),
            ("Marcelo", "Celo"), ("Letícia", "Lelê"),
        ],
        cities: &[
            ("São Paulo", "55", -3, "Brasil"), ("Rio de Janeiro", "55", -3, "Brasil"),
            ("Brasília", "55", -3, "Brasil"), ("Salvador", "55", -3, "Brasil"),
            ("Lisboa", "351", 0, "Portugal"), ("Fortaleza", "55", -3, "Brasil"),
            ("Belo Horizonte", "55", -3, "Brasil"), ("Manaus", "55", -4, "Brasil"),
            ("Curitiba", "55", -3, "Brasil"), ("Porto", "351", 0, "Portugal"),
            ("Recife", "55", -3, "Brasil"), ("Porto Alegre", "55", -3, "Brasil"),
            ("Belém", "55", -3, "Brasil"), ("Goiânia", "55", -3, "Brasil"),
        ],
        domains: &["uol.com.br", "bol.com.br", "terra.com.br", "sapo.pt"],
        two_surnames: true,
    },
    Culture {
        language: "fr",
        surname_offset: 60.0,
        weight: 0.10,
        first: &[
            "Jean", "Marie", "Pierre", "Nathalie", "Michel", "Isabelle", "Philippe", "Sylvie",
            "Alain", "Catherine", "Nicolas", "Françoise", "François", "Anne", "Christophe",
            "Christine", "Patrick", "Monique", "Daniel", "Valérie", "Laurent", "Sandrine",
            "Thierry", "Sophie", "Stéphane", "Céline", "Éric", "Chloé", "Julien", "Camille",
        ],
        first_endings: &[
            "e", "ine", "ette", "ien", "ane", "elle", "in", "is", "ois", "aine",
        ],
        surnames: &[
            "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
            "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand",
            "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau",
            "Vincent", "Lefebvre", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier",
            "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
        ],
        surname_endings: &[
            "ard", "ier", "ot", "et", "eau", "on", "ais", "and", "ière", "elle", "ault", "in",
            "oux", "ès", "enne", "oir",
        ],
        nicknames: &[
            ("Nicolas", "Nico"), ("Philippe", "Phil"), ("Christophe", "Chris"),
            ("Stéphane", "Steph"), ("Julien", "Ju"), ("Valérie", "Val"), ("Catherine", "Cathy"),
            ("Françoise", "Fanfan"), ("Isabelle", "Isa"), ("Sandrine", "Sandy"), ("Camille", "Cam"),
            ("Laurent", "Lolo"),
        ],
        cities: &[
            ("Paris", "33", 1, "France"), ("Marseille", "33", 1, "France"),
            ("Lyon", "33", 1, "France"), ("Toulouse", "33", 1, "France"),
            ("Nice", "33", 1, "France"), ("Nantes", "33", 1, "France"),
            ("Strasbourg", "33", 1, "France"), ("Montpellier", "33", 1, "France"),
            ("Bordeaux", "33", 1, "France"), ("Lille", "33", 1, "France"),
            ("Rennes", "33", 1, "France"), ("Reims", "33", 1, "France"),
        ],
        domains: &["orange.fr", "free.fr", "laposte.net", "sfr.fr"],
        two_surnames: false,
    },
    Culture {
        language: "de",
        surname_offset: 30.0,
        weight: 0.09,
        first: &[
            "Thomas", "Sabine", "Michael", "Susanne", "Andreas", "Petra", "Peter", "Claudia",
            "Stefan", "Andrea", "Frank", "Birgit", "Christian", "Monika", "Markus", "Karin",
            "Klaus", "Stefanie", "Jürgen", "Anja", "Wolfgang", "Julia", "Tobias", "Katrin", "Lukas",
            "Jörg", "Björn", "Jana", "Uwe", "Lena",
        ],
        first_endings: &[
            "a", "e", "hard", "mar", "run", "trud", "bert", "ke", "old", "ine",
        ],
        surnames: &[
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
            "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
            "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann",
            "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
        ],
        surname_endings: &[
            "mann", "er", "hardt", "berg", "feld", "ing", "inger", "haus", "bach", "meier", "thal",
            "ert", "hofer", "stätter", "ke", "el",
        ],
        nicknames: &[
            ("Andreas", "Andi"), ("Michael", "Micha"), ("Stefanie", "Steffi"), ("Tobias", "Tobi"),
            ("Christian", "Chris"), ("Wolfgang", "Wolle"), ("Lukas", "Luki"), ("Susanne", "Susi"),
            ("Monika", "Moni"), ("Thomas", "Tom"), ("Markus", "Max"),
        ],
        cities: &[
            ("Berlin", "49", 1, "Deutschland"), ("Hamburg", "49", 1, "Deutschland"),
            ("München", "49", 1, "Deutschland"), ("Köln", "49", 1, "Deutschland"),
            ("Wien", "43", 1, "Österreich"), ("Frankfurt", "49", 1, "Deutschland"),
            ("Stuttgart", "49", 1, "Deutschland"), ("Düsseldorf", "49", 1, "Deutschland"),
            ("Zürich", "41", 1, "Schweiz"), ("Leipzig", "49", 1, "Deutschland"),
            ("Dortmund", "49", 1, "Deutschland"), ("Essen", "49", 1, "Deutschland"),
            ("Bremen", "49", 1, "Deutschland"), ("Dresden", "49", 1, "Deutschland"),
        ],
        domains: &["web.de", "gmx.de", "t-online.de", "gmx.at"],
        two_surnames: false,
    },
    Culture {
        language: "it",
        surname_offset: 60.0,
        weight: 0.07,
        first: &[
            "Giuseppe", "Maria", "Giovanni", "Anna", "Antonio", "Giuseppina", "Mario", "Rosa",
            "Luigi", "Angela", "Francesco", "Giovanna", "Angelo", "Teresa", "Vincenzo", "Lucia",
            "Pietro", "Carmela", "Salvatore", "Caterina", "Carlo", "Francesca", "Franco", "Paola",
            "Domenico", "Chiara", "Bruno", "Giulia", "Paolo", "Sofia",
        ],
        first_endings: &[
            "a", "o", "etta", "ino", "ina", "ella", "iano", "ia", "ello", "ana",
        ],
        surnames: &[
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
            "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano",
            "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi",
            "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli",
            "Vitale", "Lombardo", "Serra", "Coppola", "De Santis", "D'Angelo", "Marchetti",
        ],
        surname_endings: &[
            "elli", "ini", "etti", "ucci", "one", "oni", "ato", "ese", "ari", "otti", "ello",
            "accio", "ano", "ino", "esi", "ardi",
        ],
        nicknames: &[
            ("Giuseppe", "Peppe"), ("Giuseppe", "Pino"), ("Giovanni", "Gianni"),
            ("Salvatore", "Totò"), ("Antonio", "Nino"), ("Francesco", "Ciccio"),
            ("Vincenzo", "Enzo"), ("Luigi", "Gigi"), ("Giuseppina", "Pina"), ("Francesca", "Fra"),
            ("Domenico", "Mimmo"),
        ],
        cities: &[
            ("Roma", "39", 1, "Italia"), ("Milano", "39", 1, "Italia"),
            ("Napoli", "39", 1, "Italia"), ("Torino", "39", 1, "Italia"),
            ("Palermo", "39", 1, "Italia"), ("Genova", "39", 1, "Italia"),
            ("Bologna", "39", 1, "Italia"), ("Firenze", "39", 1, "Italia"),
            ("Bari", "39", 1, "Italia"), ("Catania", "39", 1, "Italia"),
            ("Venezia", "39", 1, "Italia"), ("Verona", "39", 1, "Italia"),
        ],
        domains: &["libero.it", "virgilio.it", "tiscali.it", "alice.it"],
        two_surnames: false,
    },
];

/// Global email providers with their shares (the rest: the culture's local providers and
/// employers).
#[rustfmt::skip]
pub(crate) const GLOBAL_DOMAINS: &[(&str, f64)] = &[
    ("gmail.com", 0.40),
    ("outlook.com", 0.08),
    ("hotmail.com", 0.08),
    ("yahoo.com", 0.07),
    ("icloud.com", 0.06),
    ("proton.me", 0.02),
];

/// Employers' domains (a work address).
#[rustfmt::skip]
pub(crate) const COMPANY_DOMAINS: &[&str] = &[
    "acme.com", "globex.io", "initech.com", "umbrella.net", "hooli.com", "vandelay.com", "wayne.co",
    "stark.io", "wonka.eu", "cyberdyne.ai", "tyrell.com", "soylent.org",
];

/// Profile names that are no name, as people set them on WhatsApp or X.
#[rustfmt::skip]
pub(crate) const NON_NAMES: &[&str] = &[
    "✨", "Hey there", "Blessed", "Carpe Diem", "Mom", "Dad", ".", "~", "God is good",
    "Live laugh love", "🌸", "Busy", "Available", "Only God", "Happy", "Smile", "King", "Queen",
    "Boss", "Angel", "Princess", "Mama", "Papa", "Peace", "Dreamer", "Traveler",
];

/// Words for handles not made from the name ("bluefox77").
#[rustfmt::skip]
pub(crate) const HANDLE_WORDS: &[&str] = &[
    "blue", "red", "dark", "happy", "wild", "lazy", "silent", "urban", "cosmic", "little", "big",
    "lucky", "crazy", "golden", "fox", "wolf", "tiger", "panda", "rider", "gamer", "coder",
    "dream", "star", "moon", "sun", "rock", "jazz", "surf", "pixel", "ninja",
];

/// Topics and intents of customer conversations, most frequent first.
#[rustfmt::skip]
pub(crate) const TOPICS: &[&str] = &[
    "order status", "refund", "delivery delay", "return", "login problem", "billing",
    "product question", "cancellation", "complaint", "damaged item", "discount code",
    "subscription", "account update", "warranty", "payment failed", "invoice", "store hours",
    "size exchange", "gift card", "loyalty points", "address change", "missing item", "app bug",
    "feedback", "price match", "stock availability", "installation", "technical issue",
    "password reset", "newsletter", "privacy request", "partnership", "job inquiry", "compliment",
    "recall", "shipping cost",
];

/// Languages a short message can be misdetected as.
pub(crate) const LANGUAGES: &[&str] = &["en", "es", "pt", "fr", "de", "it", "nl", "ca"];
