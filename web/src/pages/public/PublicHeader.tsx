import { Link, NavLink } from "react-router";
import { Logo } from "../../components";
import { cx } from "../../lib/cx";

const item = "hidden rounded-lg px-3 py-2 text-navy-100 hover:bg-white/5 hover:text-white sm:block";

/** The header of the public pages (landing, marketplace): the site's sections and sign-in. */
export function PublicHeader() {
  return (
    <header className="bg-navy-950 text-white">
      <div className="mx-auto flex h-16 max-w-6xl items-center gap-6 px-4 sm:px-6">
        <Link to="/" aria-label="Niha home">
          <Logo inverted />
        </Link>
        <nav aria-label="Site" className="ml-auto flex items-center gap-1 text-sm">
          <NavLink to="/marketplace" className={({ isActive }) => cx(item, isActive && "bg-white/10 text-white")}>
            Marketplace
          </NavLink>
          <a href="/#join" className={item}>
            How to join
          </a>
          <a href="/#contact" className={item}>
            Contact
          </a>
          <Link to="/login" className="ml-2 rounded-lg bg-white px-3.5 py-2 font-medium text-navy-950 hover:bg-navy-50">
            Sign in
          </Link>
        </nav>
      </div>
    </header>
  );
}
