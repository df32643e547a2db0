import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, unwrap } from "../api/client";
import type { TokenResponse, User } from "../api/types";
import {
  clearSession,
  getSession,
  refreshSession,
  setSession,
  subscribeSession,
  updateSessionUser,
  type SessionEndReason,
} from "./session";

export type AuthStatus = "loading" | "authenticated" | "anonymous";

export interface AuthContextValue {
  status: AuthStatus;
  user: User | null;
  /** why the last session ended, if it ended on its own */
  endedBecause: SessionEndReason | null;
  login(email: string, password: string, totpCode?: string): Promise<User>;
  logout(): Promise<void>;
  /** re-read the current user (GET /auth/me) */
  reloadUser(): Promise<void>;
  acknowledgeEnd(): void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 30_000;

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(() => getSession()?.user ?? null);
  const [status, setStatus] = useState<AuthStatus>(() => (getSession() ? "authenticated" : "loading"));
  const [endedBecause, setEndedBecause] = useState<SessionEndReason | null>(null);
  const [expiresAt, setExpiresAt] = useState<number | null>(() => getSession()?.expiresAt ?? null);

  useEffect(() => {
    const off = subscribeSession((session, reason) => {
      setUser(session?.user ?? null);
      setExpiresAt(session?.expiresAt ?? null);
      if (session) {
        setStatus("authenticated");
        setEndedBecause(null);
      } else {
        setStatus("anonymous");
        if (reason === "expired") {
          setEndedBecause("expired");
          queryClient.clear();
        }
      }
    });
    if (!getSession()) {
      void refreshSession().then((s) => {
        if (!s) setStatus("anonymous");
      });
    }
    return off;
  }, [queryClient]);

  // Refresh the access token shortly before it expires.
  useEffect(() => {
    if (!expiresAt) return;
    const delay = Math.max(5_000, expiresAt - Date.now() - REFRESH_MARGIN_MS);
    const t = setTimeout(() => {
      void refreshSession().then((s) => {
        if (!s) clearSession("expired");
      });
    }, delay);
    return () => clearTimeout(t);
  }, [expiresAt]);

  const login = useCallback(async (email: string, password: string, totpCode?: string) => {
    const body = totpCode ? { email, password, totp_code: totpCode } : { email, password };
    const token: TokenResponse = await unwrap(api.POST("/api/v1/auth/login", { body }));
    setSession(token);
    return token.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await unwrap(api.POST("/api/v1/auth/logout"));
    } catch {
      /* the session ends locally whatever the server says */
    }
    clearSession("logout");
    setEndedBecause(null);
    queryClient.clear();
  }, [queryClient]);

  const reloadUser = useCallback(async () => {
    const me = await unwrap(api.GET("/api/v1/auth/me"));
    updateSessionUser(me);
  }, []);

  const acknowledgeEnd = useCallback(() => setEndedBecause(null), []);

  const value = useMemo<AuthContextValue>(
    () => ({ status, user, endedBecause, login, logout, reloadUser, acknowledgeEnd }),
    [status, user, endedBecause, login, logout, reloadUser, acknowledgeEnd],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth must be used inside <AuthProvider>");
  return ctx;
}

/** The signed-in user (only under a protected route). */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error("useUser needs a signed-in user");
  return user;
}
