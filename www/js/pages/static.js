// Pages without a form of their own (confirmed): only the header navigation.
import { renderNav } from '../session.js';

renderNav();
