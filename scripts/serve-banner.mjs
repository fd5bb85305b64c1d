// Printed before `vite preview` takes over the terminal, so the URL is the first thing a user sees.
console.log('\nTalking Heads is being served at http://127.0.0.1:4173/  (Ctrl+C to stop)\n');
