// Package texts holds every text the service shows a person, in every
// language it speaks: the mails and the pages a mailed link opens. One
// mechanism for all of them: a directory per language under templates/, a
// file per text, written in package tmpl's template language. A translator
// finds everything to translate in one place; a language that lacks a text
// stops the start-up, not a mail or a page. The pages (`…_page.html`)
// share one frame, templates/page.html (head, style, body): a page file
// holds only its <title> and its body, and the golden files under
// internal/httpapi/testdata hold what the two make together.
//
// # Guarantees
//
// Mail and page content. Every text a person reads lives in
// `internal/texts/templates/<language>/`: each mail's HTML, text and subject
// (`email_validation.html`, `.txt`, `.subject.txt`, …) and the confirm page (`confirm_page.html`),
// in English and German. One mechanism for all of them: a language missing any file, or a template
// using a name its mail or page is not given, stops the start-up rather than a mail or a page. The
// language is the customer's (mails) or the best match of the browser's `Accept-Language` (pages),
// with the store default as fallback. HTML is escaped by context (`internal/tmpl`), so no customer
// value becomes markup; every customer-typed value also gets a zero-width space after `.`, `:`,
// `/` and `@`, so mail clients cannot turn a "first name" like `www.evil.example` into a link
// either.
package texts
