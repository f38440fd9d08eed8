"""登录 / 注册 and 我的账户: log in, register, bind a household, change password, log out.

Logging in or registering leads on to where the person was going (home by default), never to
a dead end on 我的账户.
"""
import streamlit as st

from lib.core import ui
from lib.people import ui as people_ui


db = ui.portal_db()
auth = people_ui.logout_if_asked(db)  # streamlit-authenticator, built only to log in or out
user = people_ui.current_user(db)
place = people_ui.current_place(db)

if user.is_guest:
    st.title("登录 / 注册")
    people_ui.login_or_register(db, auth, place)
    st.stop()

people_ui.continue_after_login()
st.title("我的账户")
people_ui.account_summary(db, user)
people_ui.bind_household(db, user, place)
people_ui.privacy_settings(db, user)
people_ui.change_password(db, user)
people_ui.leave_buttons()
