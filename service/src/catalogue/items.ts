// A fixed, generated catalogue: enough variety for realistic list and lookup traffic.

export interface Item {
  id: number;
  name: string;
  category: Category;
  priceCents: number;
}

export const CATEGORIES = ['books', 'games', 'garden', 'kitchen', 'music', 'tools'] as const;
export type Category = (typeof CATEGORIES)[number];

const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Everyday', 'Rugged', 'Vintage', 'Wireless', 'Handmade'];
const NOUNS: Record<Category, string> = {
  books: 'Novel',
  games: 'Board Game',
  garden: 'Planter',
  kitchen: 'Kettle',
  music: 'Vinyl',
  tools: 'Screwdriver Set',
};

export const CATALOGUE_SIZE = 100;

export const ITEMS: readonly Item[] = Array.from({ length: CATALOGUE_SIZE }, (_, index) => {
  const id = index + 1;
  const category = CATEGORIES[index % CATEGORIES.length]!;
  return {
    id,
    name: `${ADJECTIVES[index % ADJECTIVES.length]} ${NOUNS[category]} ${id}`,
    category,
    priceCents: 499 + ((id * 737) % 9500),
  };
});

const BY_ID = new Map(ITEMS.map((item) => [item.id, item]));

export function findItem(id: number): Item | undefined {
  return BY_ID.get(id);
}
