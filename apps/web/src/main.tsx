/** The page's entry: draws the app into <body>. */
import { render } from 'preact';
import { App } from './app.js';

render(<App />, document.getElementById('app')!);
