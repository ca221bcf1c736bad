"""The application's schema: the layer catalogue and the form of the message catalogues (``bilingual``); a leaf
package that imports nothing of ours."""
