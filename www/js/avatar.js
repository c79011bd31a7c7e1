// The user's picture (the API's thumbnail URL) or, without one, their initials in a circle.

export function avatar(user, large = false) {
	const cls = large ? 'avatar large' : 'avatar';
	if (user.thumbnail) {
		const img = document.createElement('img');
		img.className = cls;
		img.src = user.thumbnail;
		img.alt = 'Your picture';
		img.id = 'avatar';
		return img;
	}
	const span = document.createElement('span');
	span.className = cls;
	span.setAttribute('aria-hidden', 'true');
	span.id = 'avatar';
	const initials = ((user.first_name || '').slice(0, 1) + (user.last_name || '').slice(0, 1)) || (user.email || '?').slice(0, 1);
	span.textContent = initials.toUpperCase();
	return span;
}
