// Route label values that a renderer must escape or encode with care: quotes, a backslash and a
// newline, non-ASCII (two- and four-byte UTF-8), empty, braces, and the label separators.
export const ODD_ROUTES = ['/a "quoted"\\path\nnext', '/é/😀/:id', '', '/{x}', '/a,b=c'];
